# On both kinds of store: a folder and a PostgreSQL database (a throwaway cluster, PostgresCluster.ps1).
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'PostgresCluster.ps1')
    $cluster = Start-TestPostgres

    function New-TestStore([string] $Kind) {
        if ($Kind -eq 'postgresql') { New-TestPostgresDatabase $cluster -Prefix 'import' } else { Join-Path $TestDrive ([guid]::NewGuid()) }
    }

    # The stored document exactly as it is (the file's bytes, or the database row).
    function Get-StoreBytes([string] $Store) {
        if ($Store -like 'postgresql://*') { Invoke-TestPostgresSql $cluster $Store 'select revision || document from casb.configuration' }
        else { [IO.File]::ReadAllBytes((Join-Path $Store 'casb.json')) }
    }
}

AfterAll {
    Stop-TestPostgres $cluster
}

Describe 'Import-CasbConfiguration (<Kind> store)' -ForEach @(@{ Kind = 'folder' }, @{ Kind = 'postgresql' }) {
    BeforeEach {
        # Source: what is exported. Target: a store with overlapping and extra items.
        $source = Join-Path $TestDrive ([guid]::NewGuid())
        $target = New-TestStore $Kind
        $file = Join-Path $TestDrive "$([guid]::NewGuid()).json"

        Add-CasbApp -StorePath $source -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:9000'
        Add-CasbApp -StorePath $source -Name 'Azure Portal' -Upstream 'http://127.0.0.1:9001'
        New-CasbAccessPolicy -StorePath $source -Name 'Require certificate' -App 'Microsoft Online Services' -DeviceTag ValidClientCertificate -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.' | Out-Null
        Set-CasbGatewaySetting -StorePath $source -DefaultAction Block
        Export-CasbConfiguration -StorePath $source -Path $file

        Add-CasbApp -StorePath $target -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8000'
        Add-CasbApp -StorePath $target -Name 'Local only' -Upstream 'http://127.0.0.1:8001'
        New-CasbGroup -StorePath $target -Name 'Vendors' | Out-Null
    }

    It 'merges by name: adds new items, updates same-named ones (the file wins), keeps the others' {
        $changes = Import-CasbConfiguration -StorePath $target -Path $file -PassThru

        ($changes | ForEach-Object { "$($_.Change) $($_.ItemType) $($_.Name)" }) | Should -Be @(
            'Updated App Microsoft Online Services'
            'Added App Azure Portal'
            'Added AccessPolicy Require certificate'
            'Updated Settings Gateway settings'
        )
        (Get-CasbApp -StorePath $target).Name | Should -Be @('Microsoft Online Services', 'Local only', 'Azure Portal')
        (Get-CasbApp -StorePath $target 'Microsoft Online Services').Upstream.Port | Should -Be 9000
        (Get-CasbGroup -StorePath $target).Name | Should -Be 'Vendors'
        (Get-CasbAccessPolicy -StorePath $target).BlockMessage | Should -Be 'Use a company device.'
        (Get-CasbGatewaySetting -StorePath $target).DefaultAction | Should -Be 'Block'
    }

    It 'is idempotent: importing the same file twice changes nothing the second time' {
        Import-CasbConfiguration -StorePath $target -Path $file
        $before = Get-StoreBytes $target

        Import-CasbConfiguration -StorePath $target -Path $file -PassThru | Should -BeNullOrEmpty

        Get-StoreBytes $target | Should -Be $before
    }

    It 'replaces the whole configuration with -Replace and keeps the revision moving forward' {
        $revision = (Get-CasbGatewaySetting -StorePath $target).Revision

        $changes = Import-CasbConfiguration -StorePath $target -Path $file -Replace -PassThru

        ($changes | Where-Object Change -EQ 'Removed' | ForEach-Object { "$($_.ItemType) $($_.Name)" }) | Should -Be @('App Local only', 'Group Vendors')
        (Get-CasbApp -StorePath $target).Name | Should -Be @('Microsoft Online Services', 'Azure Portal')
        Get-CasbGroup -StorePath $target | Should -BeNullOrEmpty
        (Get-CasbGatewaySetting -StorePath $target).Revision | Should -BeGreaterThan $revision
    }

    It 'with -WhatIf says per item what would change and writes nothing' {
        $before = Get-StoreBytes $target
        $command = "Import-Module '$env:CASB_MODULE_MANIFEST'; Import-CasbConfiguration -StorePath '$target' -Path '$file' -Replace -WhatIf"
        $pwsh = (Get-Process -Id $PID).Path
        # Under 'dotnet pwsh' this process is dotnet itself: start the child the same way.
        [string[]] $prefix = @()
        if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -ne 'pwsh') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }

        $output = & $pwsh @prefix -NoProfile -NonInteractive -Command $command | Out-String

        $output | Should -Match 'Update app.*Microsoft Online Services'
        $output | Should -Match 'Add app.*Azure Portal'
        $output | Should -Match 'Remove app.*Local only'
        $output | Should -Match 'Remove group.*Vendors'
        $output | Should -Match 'Add access policy.*Require certificate'
        Get-StoreBytes $target | Should -Be $before
    }

    It 'refuses a file that is not JSON and leaves the store byte-for-byte unchanged' {
        Set-Content -Path $file -Value '{ "schemaVersion": 1, "apps": [ '
        $before = Get-StoreBytes $target

        { Import-CasbConfiguration -StorePath $target -Path $file } |
            Should -Throw -ErrorId 'ImportFileInvalid,CasbModule.Cmdlets.ImportCasbConfigurationCommand'
        Get-StoreBytes $target | Should -Be $before
    }

    It 'refuses an unknown schema version' {
        Set-Content -Path $file -Value '{ "schemaVersion": 99, "apps": [] }'

        { Import-CasbConfiguration -StorePath $target -Path $file } |
            Should -Throw -ErrorId 'ImportFileInvalid,CasbModule.Cmdlets.ImportCasbConfigurationCommand' -ExpectedMessage '*schema version 99*'
    }

    It 'refuses a missing file' {
        { Import-CasbConfiguration -StorePath $target -Path (Join-Path $TestDrive 'missing.json') } |
            Should -Throw -ErrorId 'ImportFileInvalid,CasbModule.Cmdlets.ImportCasbConfigurationCommand'
    }

    It 'refuses a file with the same app twice' {
        Set-Content -Path $file -Value '{ "schemaVersion": 1, "apps": [ { "name": "A", "upstream": "http://127.0.0.1/" }, { "name": "a", "upstream": "http://127.0.0.1/" } ] }'
        $before = Get-StoreBytes $target

        { Import-CasbConfiguration -StorePath $target -Path $file } |
            Should -Throw -ErrorId 'ImportFileInvalid,CasbModule.Cmdlets.ImportCasbConfigurationCommand' -ExpectedMessage "*'a' appears twice*"
        Get-StoreBytes $target | Should -Be $before
    }

    It 'refuses a trusted root whose data is not the certificate its thumbprint names' {
        Set-Content -Path $file -Value '{ "schemaVersion": 1, "trustedRoots": [ { "thumbprint": "00112233445566778899AABBCCDDEEFF00112233", "rawData": "bm90IGEgY2VydA==" } ] }'

        { Import-CasbConfiguration -StorePath $target -Path $file } |
            Should -Throw -ErrorId 'ImportFileInvalid,CasbModule.Cmdlets.ImportCasbConfigurationCommand'
    }

    It 'refuses a trusted root that is not a certificate authority (no way around Add-CasbTrustedRoot)' {
        $lab = [CasbCore.Certificates.LabPki]::Create()
        try {
            $leaf = $lab.Client
            $root = @{ thumbprint = $leaf.Thumbprint; subject = $leaf.Subject; kind = 'Root'; rawData = [Convert]::ToBase64String($leaf.RawData) }
            @{ schemaVersion = 1; trustedRoots = @($root) } | ConvertTo-Json -Depth 5 | Set-Content -Path $file
        }
        finally {
            $lab.Dispose()
        }
        $before = Get-StoreBytes $target

        { Import-CasbConfiguration -StorePath $target -Path $file } |
            Should -Throw -ErrorId 'ImportFileInvalid,CasbModule.Cmdlets.ImportCasbConfigurationCommand' -ExpectedMessage '*not a certificate authority*'
        Get-StoreBytes $target | Should -Be $before
    }

    It 'refuses a policy whose app exists nowhere and writes nothing' {
        Set-Content -Path $file -Value '{ "schemaVersion": 1, "accessPolicies": [ { "name": "P", "action": "Block", "apps": [ "Nowhere" ] } ] }'
        $before = Get-StoreBytes $target

        { Import-CasbConfiguration -StorePath $target -Path $file } | Should -Throw -ErrorId 'UnknownApp,CasbModule.Cmdlets.ImportCasbConfigurationCommand'
        Get-StoreBytes $target | Should -Be $before
    }

    It 'refuses an identity header that is a standard request header and writes nothing' {
        Set-Content -Path $file -Value '{ "schemaVersion": 1, "settings": { "identityHeader": "User-Agent" } }'
        $before = Get-StoreBytes $target

        { Import-CasbConfiguration -StorePath $target -Path $file } | Should -Throw -ErrorId 'InvalidIdentityHeader,CasbModule.Cmdlets.ImportCasbConfigurationCommand'
        Get-StoreBytes $target | Should -Be $before
    }

    It 'refuses an app name with a terminal escape' {
        Set-Content -Path $file -Value '{ "schemaVersion": 1, "apps": [ { "name": "Payroll\u001b[2J", "upstream": "http://127.0.0.1:9000" } ] }'
        $before = Get-StoreBytes $target

        { Import-CasbConfiguration -StorePath $target -Path $file } | Should -Throw -ErrorId 'InvalidName,CasbModule.Cmdlets.ImportCasbConfigurationCommand'
        Get-StoreBytes $target | Should -Be $before
    }
}

Describe 'Import-CasbConfiguration with delta CRLs' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'CertificateLab.ps1')
        $commandId = 'CasbModule.Cmdlets.ImportCasbConfigurationCommand'
    }

    AfterAll {
        $Pki.Dispose()
    }

    BeforeEach {
        # An export holding a complete CRL (number 10) and its delta (11, BaseCRLNumber 10); a store holding only an older complete CRL.
        $source = New-TestStore
        Add-TestTrustedRoot -StorePath $source
        Add-CasbCertificateRevocationList -StorePath $source -Path (New-TestRawCrlFile -Name 'base10.crl' -Number 10)
        Add-CasbCertificateRevocationList -StorePath $source -Path (New-TestRawCrlFile -Name 'delta11.crl' -Number 11 -BaseNumber 10)
        $file = Join-Path $TestDrive "$([guid]::NewGuid()).json"
        Export-CasbConfiguration -StorePath $source -Path $file

        $target = New-TestStore
        Add-TestTrustedRoot -StorePath $target
        Add-CasbCertificateRevocationList -StorePath $target -Path (Join-Path $LabDir 'intermediate-ca.crl')
    }

    It 'imports a delta CRL beside its complete CRL from the same file' {
        Import-CasbConfiguration -StorePath $target -Path $file

        (Get-CasbCertificateRevocationList -StorePath $target | Where-Object IsDelta).BaseCrlNumber | Should -Be '10'
    }

    It 'refuses a delta CRL without its complete CRL as CrlDeltaWithoutBase naming it, and the store keeps its CRLs' {
        $exported = Get-Content -Raw $file | ConvertFrom-Json
        $exported.revocationLists = @($exported.revocationLists | Where-Object { $null -ne $_.baseCrlNumber })
        $deltaId = $exported.revocationLists[0].id
        $exported | ConvertTo-Json -Depth 10 | Set-Content -Path $file
        $before = Get-CasbCertificateRevocationList -StorePath $target | ForEach-Object { "$($_.Id) $($_.CrlNumber)" }

        { Import-CasbConfiguration -StorePath $target -Path $file -ErrorAction Stop } |
            Should -Throw -ErrorId "CrlDeltaWithoutBase,$commandId" -ExpectedMessage "*$deltaId*BaseCRLNumber 10*Nothing was changed*"
        $error[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Get-CasbCertificateRevocationList -StorePath $target | ForEach-Object { "$($_.Id) $($_.CrlNumber)" } | Should -Be $before
        $before | Should -HaveCount 1
    }
}
