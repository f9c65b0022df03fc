BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Set-CasbConditionalAccessPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
        New-CasbGroup -StorePath $store -Name 'Break glass' | Out-Null
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -IncludeUser All -App 'Microsoft Online Services' -SessionControl AppControl | Out-Null
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors desktop' -IncludeUser All -ClientAppType MobileAndDesktop -Grant Block | Out-Null
    }

    It 'changes the state and keeps everything else' {
        $policy = Set-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -State ReportOnly -PassThru

        $policy.State | Should -Be 'ReportOnly'
        $policy.Apps | Should -Be 'Microsoft Online Services'
        $policy.SessionControl | Should -Be 'AppControl'
    }

    It 'changes every policy piped from Get-' {
        Get-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors*' | Set-CasbConditionalAccessPolicy -ExcludeGroup 'break glass'

        (Get-CasbConditionalAccessPolicy -StorePath $store).ExcludeGroups | Should -BeExactly @('Break glass', 'Break glass')
    }

    It 'switches the control between App Control and Block' {
        $policy = Set-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors desktop' -SessionControl AppControl -AppControlMode MonitorOnly -PassThru

        $policy.SessionControl | Should -Be 'AppControl'
        $policy.AppControlMode | Should -Be 'MonitorOnly'
        $policy.Grant | Should -Be 'None'
    }

    It 'refuses both controls at once' {
        { Set-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors desktop' -SessionControl AppControl -Grant Block } |
            Should -Throw -ErrorId 'ConflictingControls,CasbModule.Cmdlets.SetCasbConditionalAccessPolicyCommand'
    }

    It 'clears the app list with an empty array (all apps)' {
        (Set-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -App @() -PassThru).Apps | Should -HaveCount 0
    }

    It 'refuses an unknown app and an unknown policy' {
        { Set-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -App 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownApp,CasbModule.Cmdlets.SetCasbConditionalAccessPolicyCommand'
        { Set-CasbConditionalAccessPolicy -StorePath $store -Name 'Nope' -State Off -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.SetCasbConditionalAccessPolicyCommand'
    }

    It 'renames a policy' {
        Set-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors desktop' -NewName 'Legacy clients'

        (Get-CasbConditionalAccessPolicy -StorePath $store).Name | Should -Be @('Vendors via App Control', 'Legacy clients')
    }

    It 'writes nothing with -WhatIf' {
        Set-CasbConditionalAccessPolicy -StorePath $store -Name '*' -State Off -WhatIf

        (Get-CasbConditionalAccessPolicy -StorePath $store -State Off) | Should -BeNullOrEmpty
    }
}
