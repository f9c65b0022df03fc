BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Set-CasbAccessPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
        New-CasbGroup -StorePath $store -Name 'Break glass' | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -App 'Microsoft Online Services' -DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.' | Out-Null
    }

    It 'changes only the fields given' {
        $policy = Set-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -BlockMessage 'Sign in from a company laptop.' -Severity High -PassThru

        $policy.BlockMessage | Should -Be 'Sign in from a company laptop.'
        $policy.Severity | Should -Be 'High'
        $policy.DeviceTagOperator | Should -Be 'DoesNotEqual'
        $policy.Apps | Should -Be 'Microsoft Online Services'
    }

    It 'changes policies piped from Get-' {
        Get-CasbAccessPolicy -StorePath $store | Set-CasbAccessPolicy -ExcludeGroup 'Break glass' -IPRange '2001:db8::/32' -IPRangeOperator NotIn -ClientApp Any

        $policy = Get-CasbAccessPolicy -StorePath $store
        $policy.ExcludeGroups | Should -Be 'Break glass'
        $policy.IPRanges | Should -Be '2001:db8::/32'
        $policy.IPRangeOperator | Should -Be 'NotIn'
        $policy.ClientApp | Should -Be 'Any'
    }

    It 'clears lists with an empty array and the message with an empty string' {
        $policy = Set-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -App @() -DeviceTag @() -BlockMessage '' -PassThru

        $policy.Apps | Should -HaveCount 0
        $policy.DeviceTags | Should -HaveCount 0
        $policy.BlockMessage | Should -BeNullOrEmpty
    }

    It 'refuses bad values with the same error ids as New-: <Case>' -TestCases @(
        @{ Case = 'tag'; Splat = @{ DeviceTag = 'Compliant' }; Id = 'UnknownDeviceTag' }
        @{ Case = 'range'; Splat = @{ IPRange = '300.0.0.0/8' }; Id = 'InvalidIPRange' }
        @{ Case = 'app'; Splat = @{ App = 'Nope' }; Id = 'UnknownApp' }
        @{ Case = 'group'; Splat = @{ Group = 'Nope' }; Id = 'UnknownGroup' }
    ) {
        $before = Get-Content (Join-Path $store 'casb.json') -Raw

        { Set-CasbAccessPolicy -StorePath $store -Name 'Require certificate' @Splat -ErrorAction Stop } |
            Should -Throw -ErrorId "$Id,CasbModule.Cmdlets.SetCasbAccessPolicyCommand"
        Get-Content (Join-Path $store 'casb.json') -Raw | Should -Be $before
    }

    It 'reports a policy that is not in the store' {
        { Set-CasbAccessPolicy -StorePath $store -Name 'Nope' -Severity Low -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.SetCasbAccessPolicyCommand'
    }

    It 'writes nothing with -WhatIf' {
        Set-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -Action Test -WhatIf

        (Get-CasbAccessPolicy -StorePath $store).Action | Should -Be 'Block'
    }
}
