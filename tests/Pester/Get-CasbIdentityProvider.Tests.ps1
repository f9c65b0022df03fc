BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Get-CasbIdentityProvider' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
    }

    It 'returns nothing for a store without one' {
        Get-CasbIdentityProvider -StorePath $store | Should -BeNullOrEmpty
    }

    It 'shows the provider without its secret' {
        $secret = ConvertTo-SecureString 'never-shown-9f3a' -AsPlainText -Force
        Set-CasbIdentityProvider -StorePath $store -Authority 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0' -ClientId 'gateway' -ClientSecret $secret -SkipValidation

        $provider = Get-CasbIdentityProvider -StorePath $store
        $shown = $provider | Out-String

        $provider.Name | Should -Be 'login.microsoftonline.com'
        $provider.ClientCredential | Should -Be 'Secret'
        $provider.UserClaim | Should -Be 'preferred_username'
        $provider.GroupClaim | Should -Be 'groups'
        $provider.SessionLifetime | Should -Be (New-TimeSpan -Hours 8)
        $shown | Should -Match 'ClientCredential\s+: Secret'
        $shown | Should -Match 'Scopes\s+: openid profile email'
        $shown | Should -Not -Match 'never-shown'
        @($provider.PSObject.Properties.Value) -join ' ' | Should -Not -Match 'never-shown'
    }
}
