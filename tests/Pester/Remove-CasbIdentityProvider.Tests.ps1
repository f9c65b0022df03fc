BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Remove-CasbIdentityProvider' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        $secret = ConvertTo-SecureString 'remove-me-7c1d' -AsPlainText -Force
        Set-CasbIdentityProvider -StorePath $store -Authority 'https://idp.contoso.local/realms/staff' -ClientId 'gateway' -ClientSecret $secret -SkipValidation
    }

    It 'removes the provider and its secret' {
        Remove-CasbIdentityProvider -StorePath $store -Confirm:$false

        Get-CasbIdentityProvider -StorePath $store | Should -BeNullOrEmpty
        Get-Content (Join-Path $store 'casb.secrets.json') -Raw | Should -Not -Match 'remove-me'
        { Remove-CasbIdentityProvider -StorePath $store -Confirm:$false } |
            Should -Throw -ErrorId 'IdentityProviderNotFound,CasbModule.Cmdlets.RemoveCasbIdentityProviderCommand'
    }

    It 'is refused while an app signs users in' {
        Add-CasbApp -StorePath $store -Name 'Vendor Portal' -Upstream http://127.0.0.1:5080 -Hostname vendors.contoso.local -SignIn Required

        { Remove-CasbIdentityProvider -StorePath $store -Confirm:$false } |
            Should -Throw -ErrorId 'IdentityProviderInUse,CasbModule.Cmdlets.RemoveCasbIdentityProviderCommand'
        Get-CasbIdentityProvider -StorePath $store | Should -Not -BeNullOrEmpty

        Set-CasbApp -StorePath $store -Name 'Vendor Portal' -SignIn None
        Remove-CasbIdentityProvider -StorePath $store -Confirm:$false
        Get-CasbIdentityProvider -StorePath $store | Should -BeNullOrEmpty
    }

    It 'writes nothing with -WhatIf' {
        Remove-CasbIdentityProvider -StorePath $store -WhatIf

        Get-CasbIdentityProvider -StorePath $store | Should -Not -BeNullOrEmpty
    }
}
