# On both kinds of store: a folder and a PostgreSQL database (a throwaway cluster, PostgresCluster.ps1).
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'PostgresCluster.ps1')
    $cluster = Start-TestPostgres
}

AfterAll {
    Stop-TestPostgres $cluster
}

Describe 'Export-CasbConfiguration (<Kind> store)' -ForEach @(@{ Kind = 'folder' }, @{ Kind = 'postgresql' }) {
    BeforeEach {
        $store = if ($Kind -eq 'postgresql') { New-TestPostgresDatabase $cluster -Prefix 'export' } else { Join-Path $TestDrive ([guid]::NewGuid()) }
        $file = Join-Path $TestDrive "$([guid]::NewGuid()).json"
        Set-CasbGatewaySetting -StorePath $store -DefaultAction Block
        Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
        New-CasbGroup -StorePath $store -Name 'Vendors' -Member 'a@fabrikam.com' | Out-Null
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'CA' -IncludeUser All -SessionControl AppControl | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -DeviceTag ValidClientCertificate -DeviceTagOperator DoesNotEqual -Action Block | Out-Null
    }

    It 'writes the whole configuration as versioned JSON' {
        $result = Export-CasbConfiguration -StorePath $store -Path $file -PassThru

        $result.FullName | Should -Be $file
        $json = Get-Content $file -Raw | ConvertFrom-Json
        $json.schemaVersion | Should -Be 3 # 2: session policies (issue 10); 3: sign-in (issue 11)
        $json.settings.defaultAction | Should -Be 'Block'
        $json.apps.name | Should -Be 'Microsoft Online Services'
        $json.groups.members | Should -Be 'a@fabrikam.com'
        $json.conditionalAccessPolicies.name | Should -Be 'CA'
        $json.accessPolicies.deviceTags | Should -Be 'Valid client certificate'
        $json.PSObject.Properties.Name | Should -Contain 'trustedRoots'
        $json.PSObject.Properties.Name | Should -Contain 'revocationLists'
        $json.PSObject.Properties.Name | Should -Contain 'sessionPolicies'
    }

    It 'resolves a relative path against the PowerShell location' {
        Push-Location $TestDrive
        try {
            Export-CasbConfiguration -StorePath $store -Path 'relative-export.json'
        }
        finally {
            Pop-Location
        }

        Test-Path (Join-Path $TestDrive 'relative-export.json') | Should -BeTrue
    }

    It 'refuses to overwrite a file without -Force' {
        Set-Content -Path $file -Value 'keep me'

        { Export-CasbConfiguration -StorePath $store -Path $file } |
            Should -Throw -ErrorId 'FileExists,CasbModule.Cmdlets.ExportCasbConfigurationCommand'
        Get-Content $file -Raw | Should -Match 'keep me'

        Export-CasbConfiguration -StorePath $store -Path $file -Force
        (Get-Content $file -Raw | ConvertFrom-Json).apps.name | Should -Be 'Microsoft Online Services'
    }

    It 'writes nothing with -WhatIf' {
        Export-CasbConfiguration -StorePath $store -Path $file -WhatIf

        Test-Path $file | Should -BeFalse
    }
}

Describe 'Export-CasbConfiguration of a store that has no configuration' {
    It 'refuses with StoreEmpty and writes no file (an empty export imported with -Replace would remove everything)' {
        $typo = Join-Path $TestDrive ([guid]::NewGuid())
        $file = Join-Path $TestDrive "$([guid]::NewGuid()).json"

        { Export-CasbConfiguration -StorePath $typo -Path $file } |
            Should -Throw -ErrorId 'StoreEmpty,CasbModule.Cmdlets.ExportCasbConfigurationCommand'
        Test-Path $file | Should -BeFalse
        Test-Path $typo | Should -BeFalse
    }
}
