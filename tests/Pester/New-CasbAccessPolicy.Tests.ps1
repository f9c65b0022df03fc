BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'New-CasbAccessPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        $env:CASB_STORE = $store
        Add-CasbApp -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
    }

    AfterEach {
        Remove-Item Env:CASB_STORE -ErrorAction SilentlyContinue
    }

    It 'takes the seed policy as one line' {
        $policy = New-CasbAccessPolicy -Name 'Require certificate' -App 'Microsoft Online Services' -DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.'

        $policy.Name | Should -Be 'Require certificate'
        $policy.Apps | Should -Be 'Microsoft Online Services'
        $policy.DeviceTags | Should -BeExactly 'Valid client certificate'
        $policy.DeviceTagOperator | Should -Be 'DoesNotEqual'
        $policy.Action | Should -Be 'Block'
        $policy.BlockMessage | Should -Be 'Use a company device.'
        $policy.ClientApp | Should -Be 'Browser'
        $policy.Severity | Should -Be 'Medium'
        $policy.Enabled | Should -BeTrue
        Get-Content (Join-Path $store 'casb.json') -Raw | Should -Match '"deviceTags": \[\s*"Valid client certificate"'
    }

    It 'stores the compact device tag alias by its display name' {
        (New-CasbAccessPolicy -Name 'P' -DeviceTag ValidClientCertificate -Action Test).DeviceTags | Should -Be 'Valid client certificate'
    }

    It 'takes every filter' {
        New-CasbGroup -Name 'Vendors' | Out-Null
        $policy = New-CasbAccessPolicy 'All filters' -Action Test -User 'a@contoso.com' -Group vendors -ExcludeUser 'b@contoso.com' -ExcludeGroup Vendors -ClientApp Any -IPRange '10.0.0.0/8', '2001:db8::/32', '192.0.2.7' -IPRangeOperator NotIn -UserAgentContains 'curl' -Severity High -Disabled -Description 'every filter'

        $policy.Users | Should -Be 'a@contoso.com'
        $policy.Groups | Should -BeExactly 'Vendors'
        $policy.ExcludeGroups | Should -Be 'Vendors'
        $policy.ClientApp | Should -Be 'Any'
        $policy.IPRanges | Should -Be @('10.0.0.0/8', '2001:db8::/32', '192.0.2.7')
        $policy.IPRangeOperator | Should -Be 'NotIn'
        $policy.UserAgentContains | Should -Be 'curl'
        $policy.Severity | Should -Be 'High'
        $policy.Enabled | Should -BeFalse
        $policy.Description | Should -Be 'every filter'
    }

    It 'refuses an unknown device tag' {
        { New-CasbAccessPolicy -Name 'P' -DeviceTag 'Hybrid joined' -Action Block } |
            Should -Throw -ErrorId 'UnknownDeviceTag,CasbModule.Cmdlets.NewCasbAccessPolicyCommand'
    }

    It 'refuses a bad IP range: <Range>' -TestCases @(
        @{ Range = '10.0.0.0/33' }
        @{ Range = 'not-an-ip' }
        @{ Range = '10.1.2.0/16' }
    ) {
        { New-CasbAccessPolicy -Name 'P' -IPRange $Range -Action Block } |
            Should -Throw -ErrorId 'InvalidIPRange,CasbModule.Cmdlets.NewCasbAccessPolicyCommand'
        Get-CasbAccessPolicy | Should -BeNullOrEmpty
    }

    It 'refuses an unknown app or group' {
        { New-CasbAccessPolicy -Name 'P' -App 'Azure Portal' -Action Block } |
            Should -Throw -ErrorId 'UnknownApp,CasbModule.Cmdlets.NewCasbAccessPolicyCommand'
        { New-CasbAccessPolicy -Name 'P' -Group 'Vendors' -Action Block } |
            Should -Throw -ErrorId 'UnknownGroup,CasbModule.Cmdlets.NewCasbAccessPolicyCommand'
    }

    It 'refuses a name already used' {
        New-CasbAccessPolicy -Name 'Require certificate' -Action Block | Out-Null

        { New-CasbAccessPolicy -Name 'REQUIRE CERTIFICATE' -Action Test } |
            Should -Throw -ErrorId 'PolicyExists,CasbModule.Cmdlets.NewCasbAccessPolicyCommand'
    }

    It 'writes nothing with -WhatIf' {
        New-CasbAccessPolicy -Name 'P' -Action Block -WhatIf

        Get-CasbAccessPolicy | Should -BeNullOrEmpty
    }

    It 'completes both spellings of the device tag' {
        $line = 'New-CasbAccessPolicy -Name P -Action Block -DeviceTag Val'

        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches

        $completions.CompletionText | Should -Be @("'Valid client certificate'", 'ValidClientCertificate')
    }
}
