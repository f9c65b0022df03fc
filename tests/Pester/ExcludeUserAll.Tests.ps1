BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

# Included, 'All' is every user; excluded it would make a policy that never applies (exclude beats include), so every cmdlet
# that takes -ExcludeUser refuses it, whatever its case and spaces, and the store keeps what it had.
Describe '-ExcludeUser All' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        Add-CasbApp -StorePath $store -Name 'Portal' -Upstream 'http://127.0.0.1:8080'
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'CA' -IncludeUser All -App 'Portal' -SessionControl AppControl | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Access' -App 'Portal' -Action Block | Out-Null
        New-CasbSessionPolicy -StorePath $store -Name 'Session' -ControlType MonitorOnly | Out-Null
        $before = Get-Content (Join-Path $store 'casb.json') -Raw
    }

    It '<Command> refuses -ExcludeUser <Spelling> with InvalidUser and writes nothing' -TestCases @(
        @{ Command = 'New-CasbConditionalAccessPolicy'; Spelling = 'All'; Splat = @{ Name = 'CA2'; IncludeUser = 'All'; SessionControl = 'AppControl' } }
        @{ Command = 'Set-CasbConditionalAccessPolicy'; Spelling = ' all '; Splat = @{ Name = 'CA' } }
        @{ Command = 'New-CasbAccessPolicy'; Spelling = 'ALL'; Splat = @{ Name = 'Access2'; App = 'Portal'; Action = 'Block' } }
        @{ Command = 'Set-CasbAccessPolicy'; Spelling = 'All'; Splat = @{ Name = 'Access' } }
        @{ Command = 'New-CasbSessionPolicy'; Spelling = 'all'; Splat = @{ Name = 'Session2'; ControlType = 'MonitorOnly' } }
        @{ Command = 'Set-CasbSessionPolicy'; Spelling = 'All'; Splat = @{ Name = 'Session' } }
    ) {
        $err = { & $Command -StorePath $store @Splat -ExcludeUser 'vendor@contoso.com', $Spelling -ErrorAction Stop } |
            Should -Throw -ErrorId "InvalidUser,CasbModule.Cmdlets.$($Command -replace '-', '')Command" -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -BeLike "*excludes 'All', every user*"
        Get-Content (Join-Path $store 'casb.json') -Raw | Should -Be $before
    }

    It 'Import-CasbConfiguration refuses a file whose policy excludes All, and writes nothing' {
        $file = Join-Path $TestDrive 'exclude-all.json'
        $json = Get-Content (Join-Path $store 'casb.json') -Raw | ConvertFrom-Json -AsHashtable
        $json.accessPolicies[0].excludeUsers = @('All')
        $json | ConvertTo-Json -Depth 20 | Set-Content $file

        { Import-CasbConfiguration -StorePath $store -Path $file -Confirm:$false } |
            Should -Throw -ErrorId 'InvalidUser,CasbModule.Cmdlets.ImportCasbConfigurationCommand'
        Get-Content (Join-Path $store 'casb.json') -Raw | Should -Be $before
    }
}
