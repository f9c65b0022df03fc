BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'New-CasbConditionalAccessPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
        New-CasbGroup -StorePath $store -Name 'Vendors' -Member 'vendor@contoso.com' | Out-Null
    }

    It 'creates an App Control policy for everyone on one app' {
        $policy = New-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -IncludeUser all -App 'microsoft online services' -SessionControl AppControl

        $policy.Name | Should -Be 'Vendors via App Control'
        $policy.State | Should -Be 'On'
        $policy.IncludeUsers | Should -BeExactly 'All'
        $policy.Apps | Should -BeExactly 'Microsoft Online Services'
        $policy.SessionControl | Should -Be 'AppControl'
        $policy.AppControlMode | Should -Be 'UseCustomPolicy'
        $policy.Grant | Should -Be 'None'
        (Get-CasbConditionalAccessPolicy -StorePath $store).Name | Should -Be 'Vendors via App Control'
    }

    It 'creates a report-only block policy with groups, exclusions and client app types' {
        $policy = New-CasbConditionalAccessPolicy -StorePath $store 'Block desktop' -State ReportOnly -IncludeGroup vendors -ExcludeUser 'admin@contoso.com' -ClientAppType MobileAndDesktop -Grant Block

        $policy.State | Should -Be 'ReportOnly'
        $policy.IncludeGroups | Should -BeExactly 'Vendors'
        $policy.ExcludeUsers | Should -Be 'admin@contoso.com'
        $policy.ClientAppTypes | Should -Be 'MobileAndDesktop'
        $policy.Grant | Should -Be 'Block'
        $policy.SessionControl | Should -Be 'None'
        $policy.Control | Should -Be 'Block'
    }

    It 'needs exactly one of -SessionControl and -Grant' {
        { New-CasbConditionalAccessPolicy -StorePath $store -Name 'Both' -IncludeUser All -SessionControl AppControl -Grant Block } |
            Should -Throw -ErrorId 'AmbiguousParameterSet,CasbModule.Cmdlets.NewCasbConditionalAccessPolicyCommand'
        { New-CasbConditionalAccessPolicy -StorePath $store -Name 'None' -IncludeUser All -SessionControl None } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CasbModule.Cmdlets.NewCasbConditionalAccessPolicyCommand'
    }

    It 'refuses an unknown app and writes nothing' {
        $before = Get-Content (Join-Path $store 'casb.json') -Raw

        { New-CasbConditionalAccessPolicy -StorePath $store -Name 'P' -IncludeUser All -App 'Nope' -SessionControl AppControl } |
            Should -Throw -ErrorId 'UnknownApp,CasbModule.Cmdlets.NewCasbConditionalAccessPolicyCommand'
        Get-Content (Join-Path $store 'casb.json') -Raw | Should -Be $before
    }

    It 'refuses an unknown group' {
        { New-CasbConditionalAccessPolicy -StorePath $store -Name 'P' -IncludeGroup 'Nobody' -SessionControl AppControl } |
            Should -Throw -ErrorId 'UnknownGroup,CasbModule.Cmdlets.NewCasbConditionalAccessPolicyCommand'
    }

    It 'refuses a name already used' {
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'P' -IncludeUser All -SessionControl AppControl | Out-Null

        { New-CasbConditionalAccessPolicy -StorePath $store -Name 'p' -IncludeUser All -Grant Block } |
            Should -Throw -ErrorId 'PolicyExists,CasbModule.Cmdlets.NewCasbConditionalAccessPolicyCommand'
    }

    It 'warns when the policy includes nobody' {
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'Nobody' -SessionControl AppControl -WarningVariable warnings -WarningAction SilentlyContinue | Out-Null

        $warnings | Should -Match 'applies to nobody'
    }

    It 'writes nothing with -WhatIf' {
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'P' -IncludeUser All -SessionControl AppControl -WhatIf

        Get-CasbConditionalAccessPolicy -StorePath $store | Should -BeNullOrEmpty
    }
}
