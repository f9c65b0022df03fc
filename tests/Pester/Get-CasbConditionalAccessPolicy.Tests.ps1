BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Get-CasbConditionalAccessPolicy' {
    BeforeAll {
        $store = Join-Path $TestDrive 'store'
        Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8081'
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -IncludeUser All -App 'Microsoft Online Services' -SessionControl AppControl | Out-Null
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'Block Azure' -IncludeUser All -App 'Azure Portal' -Grant Block -State ReportOnly | Out-Null
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'Everything' -IncludeUser All -SessionControl AppControl -State Off | Out-Null
    }

    It 'returns all policies, or those matching a wildcard' {
        (Get-CasbConditionalAccessPolicy -StorePath $store).Name | Should -Be @('Vendors via App Control', 'Block Azure', 'Everything')
        (Get-CasbConditionalAccessPolicy -StorePath $store -Name '*azure*').Name | Should -Be 'Block Azure'
    }

    It 'filters on app (policies for all apps included) and on state' {
        (Get-CasbConditionalAccessPolicy -StorePath $store -App 'Azure Portal').Name | Should -Be @('Block Azure', 'Everything')
        (Get-CasbConditionalAccessPolicy -StorePath $store -State ReportOnly).Name | Should -Be 'Block Azure'
    }

    It 'reports a literal name that is not in the store' {
        { Get-CasbConditionalAccessPolicy -StorePath $store -Name 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.GetCasbConditionalAccessPolicyCommand'
    }

    It 'shows the control and the apps in its table' {
        $text = Get-CasbConditionalAccessPolicy -StorePath $store | Out-String -Width 200

        $text | Should -Match 'Vendors via App Control\s+On\s+AppControl \(UseCustomPolicy\)'
        $text | Should -Match 'Everything\s+Off\s+AppControl \(UseCustomPolicy\)\s+All\s+\(all\)'
    }
}
