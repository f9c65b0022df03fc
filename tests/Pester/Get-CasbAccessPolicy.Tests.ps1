BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Get-CasbAccessPolicy' {
    BeforeAll {
        $store = Join-Path $TestDrive 'store'
        Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8081'
        New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -App 'Microsoft Online Services' -DeviceTag ValidClientCertificate -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.' | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Vendor monitor' -Action Test -Disabled | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Azure only' -App 'Azure Portal' -Action Block | Out-Null
    }

    It 'returns all policies, or those matching a wildcard' {
        (Get-CasbAccessPolicy -StorePath $store).Name | Should -Be @('Require certificate', 'Vendor monitor', 'Azure only')
        (Get-CasbAccessPolicy -StorePath $store -Name 'v*').Name | Should -Be 'Vendor monitor'
    }

    It 'filters on app (policies for all apps included)' {
        (Get-CasbAccessPolicy -StorePath $store -App 'Microsoft Online Services').Name | Should -Be @('Require certificate', 'Vendor monitor')
    }

    It 'filters on enabled or disabled' {
        (Get-CasbAccessPolicy -StorePath $store -Enabled).Name | Should -Be @('Require certificate', 'Azure only')
        (Get-CasbAccessPolicy -StorePath $store -Disabled).Name | Should -Be 'Vendor monitor'
    }

    It 'reports a literal name that is not in the store' {
        { Get-CasbAccessPolicy -StorePath $store -Name 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.GetCasbAccessPolicyCommand'
    }

    It 'shows the device-tag filter and the block message in its table' {
        $text = Get-CasbAccessPolicy -StorePath $store 'Require certificate' | Out-String -Width 200

        $text | Should -Match 'not Valid client certificate'
        $text | Should -Match 'Use a company device\.'
    }

    It 'completes policy names, quoting names with spaces' {
        $line = "Disable-CasbAccessPolicy -StorePath '$store' -Name Req"

        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be "'Require certificate'"
    }
}
