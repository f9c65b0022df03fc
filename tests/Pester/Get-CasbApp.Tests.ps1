BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Get-CasbApp' {
    BeforeAll {
        $store = Join-Path $TestDrive 'store'
        Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
        Add-CasbApp -StorePath $store -Name 'Microsoft Teams' -Upstream 'http://127.0.0.1:8081'
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8082'
    }

    It 'returns every app in store order without -Name' {
        (Get-CasbApp -StorePath $store).Name | Should -Be @('Microsoft Online Services', 'Microsoft Teams', 'Azure Portal')
    }

    It 'matches wildcards case-insensitively' {
        (Get-CasbApp -StorePath $store -Name 'microsoft*').Name | Should -Be @('Microsoft Online Services', 'Microsoft Teams')
    }

    It 'returns typed objects carrying their store' {
        $app = Get-CasbApp -StorePath $store 'Azure Portal'

        $app | Should -BeOfType 'CasbModule.Types.CasbApp'
        $app.StorePath | Should -Be (Get-Item $store).FullName
    }

    It 'reports a literal name that is not in the store and still returns the others' {
        $apps = Get-CasbApp -StorePath $store -Name 'Azure Portal', 'Nope' -ErrorVariable problems -ErrorAction SilentlyContinue

        $apps.Name | Should -Be 'Azure Portal'
        $problems[0].FullyQualifiedErrorId | Should -Be 'AppNotFound,CasbModule.Cmdlets.GetCasbAppCommand'
    }

    It 'returns nothing and no error for a wildcard that matches nothing' {
        Get-CasbApp -StorePath $store -Name 'Zz*' -ErrorVariable problems | Should -BeNullOrEmpty
        $problems | Should -BeNullOrEmpty
    }

    It 'returns nothing for an empty store' {
        Get-CasbApp -StorePath (Join-Path $TestDrive 'empty') | Should -BeNullOrEmpty
    }

    It 'formats as a table with the app name and upstream' {
        $text = Get-CasbApp -StorePath $store 'Azure Portal' | Out-String

        $text | Should -Match 'Azure Portal\s+http://127\.0\.0\.1:8082/'
    }
}
