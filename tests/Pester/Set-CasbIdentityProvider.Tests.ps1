BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'TestIdentityProvider.ps1')
    $script:idp = Start-TestIdentityProvider
    $script:secretText = 'Sup3r-Secret~Value.only-in-the-secrets-file'
    $script:secret = ConvertTo-SecureString $secretText -AsPlainText -Force
}

AfterAll {
    Stop-TestIdentityProvider $idp
}

Describe 'Set-CasbIdentityProvider' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
    }

    It 'checks the discovery document, stores the provider and never shows or exports the secret' {
        $verbose = Set-CasbIdentityProvider -StorePath $store -Authority $idp.Authority -ClientId 'casb-gateway' -ClientSecret $secret `
            -AuthorityCertificate $idp.Certificate -Name 'Test IdP' -UserClaim upn -SessionLifetime (New-TimeSpan -Hours 2) -PassThru -Verbose 4>&1
        $result = $verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $exported = Join-Path $TestDrive "$([guid]::NewGuid()).json"
        Export-CasbConfiguration -StorePath $store -Path $exported

        $result.Name | Should -Be 'Test IdP'
        $result.Authority | Should -Be $idp.Authority
        $result.Issuer | Should -Be $idp.Authority
        $result.ValidatedAt | Should -Not -BeNullOrEmpty
        $result.ClientCredential | Should -Be 'Secret'
        $result.UserClaim | Should -Be 'upn'
        $result.SessionLifetime | Should -Be (New-TimeSpan -Hours 2)
        $result.AuthorityCertificateThumbprint | Should -Be $idp.Certificate.Thumbprint
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'revision'
        foreach ($shown in ($result | Format-List * | Out-String), ($result | ConvertTo-Json -Depth 5), (Get-CasbIdentityProvider -StorePath $store | Out-String),
            (Get-Content $exported -Raw), (Get-Content (Join-Path $store 'casb.json') -Raw)) {
            $shown | Should -Not -Match ([regex]::Escape($secretText))
        }
        Get-Content (Join-Path $store 'casb.secrets.json') -Raw | Should -Match ([regex]::Escape($secretText))
        if (-not $IsWindows) {
            (Get-Item (Join-Path $store 'casb.secrets.json')).UnixFileMode | Should -Be ([System.IO.UnixFileMode] 'UserRead, UserWrite')
        }
    }

    It 'refuses an authority that cannot be reached, and stores it with -SkipValidation' {
        $port = Get-FreePort
        { Set-CasbIdentityProvider -StorePath $store -Authority "https://127.0.0.1:$port/tenant/v2.0" -ClientId 'casb-gateway' -ClientSecret $secret } |
            Should -Throw -ErrorId 'IdentityProviderUnreachable,CasbModule.Cmdlets.SetCasbIdentityProviderCommand'
        Get-CasbIdentityProvider -StorePath $store | Should -BeNullOrEmpty

        $offline = Set-CasbIdentityProvider -StorePath $store -Authority "https://127.0.0.1:$port/tenant/v2.0" -ClientId 'casb-gateway' -ClientSecret $secret -SkipValidation -PassThru
        $offline.Issuer | Should -BeNullOrEmpty
        $offline.Name | Should -Be '127.0.0.1'
    }

    It 'refuses a provider whose TLS certificate is not trusted (the operating system does not know the test CA)' {
        { Set-CasbIdentityProvider -StorePath $store -Authority $idp.Authority -ClientId 'casb-gateway' -ClientSecret $secret } |
            Should -Throw -ErrorId 'IdentityProviderUnreachable,CasbModule.Cmdlets.SetCasbIdentityProviderCommand'
    }

    It 'refuses a plain-http authority before anything else' {
        { Set-CasbIdentityProvider -StorePath $store -Authority 'http://login.example/v2.0' -ClientId 'casb-gateway' -ClientSecret $secret } |
            Should -Throw -ErrorId 'IdentityProviderAuthorityInvalid,CasbModule.Cmdlets.SetCasbIdentityProviderCommand'
    }

    It 'needs a client id and a credential for a new provider' {
        { Set-CasbIdentityProvider -StorePath $store -Authority $idp.Authority -ClientSecret $secret -AuthorityCertificate $idp.Certificate } |
            Should -Throw -ErrorId 'IdentityProviderClientIdMissing,CasbModule.Cmdlets.SetCasbIdentityProviderCommand'
        { Set-CasbIdentityProvider -StorePath $store -Authority $idp.Authority -ClientId 'casb-gateway' -AuthorityCertificate $idp.Certificate } |
            Should -Throw -ErrorId 'IdentityProviderCredentialMissing,CasbModule.Cmdlets.SetCasbIdentityProviderCommand'
        Test-Path (Join-Path $store 'casb.json') | Should -BeFalse
    }

    It 'refuses a session lifetime out of range and an unknown claim' {
        { Set-CasbIdentityProvider -StorePath $store -Authority $idp.Authority -ClientId 'c' -ClientSecret $secret -SkipValidation -SessionLifetime (New-TimeSpan -Days 31) } |
            Should -Throw -ErrorId 'InvalidSessionLifetime,CasbModule.Cmdlets.SetCasbIdentityProviderCommand'
        { Set-CasbIdentityProvider -StorePath $store -UserClaim 'name' } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CasbModule.Cmdlets.SetCasbIdentityProviderCommand'
    }

    It 'changes only what it is given; a new secret replaces the old one' {
        Set-CasbIdentityProvider -StorePath $store -Authority $idp.Authority -ClientId 'casb-gateway' -ClientSecret $secret -AuthorityCertificate $idp.Certificate
        $changed = Set-CasbIdentityProvider -StorePath $store -GroupClaim roles -Scope profile, 'offline_access' -ClientSecret (ConvertTo-SecureString 'second' -AsPlainText -Force) -PassThru

        $changed.GroupClaim | Should -Be 'roles'
        $changed.Scopes | Should -Be @('openid', 'profile', 'offline_access')
        $changed.ClientId | Should -Be 'casb-gateway'
        Get-Content (Join-Path $store 'casb.secrets.json') -Raw | Should -Not -Match ([regex]::Escape($secretText))
    }

    It 'writes nothing with -WhatIf' {
        Set-CasbIdentityProvider -StorePath $store -Authority $idp.Authority -ClientId 'casb-gateway' -ClientSecret $secret -WhatIf

        Test-Path (Join-Path $store 'casb.json') | Should -BeFalse
        Test-Path (Join-Path $store 'casb.secrets.json') | Should -BeFalse
    }
}

Describe 'The identity provider through Export-CasbConfiguration and Import-CasbConfiguration' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        $other = Join-Path $TestDrive ([guid]::NewGuid())
        $file = Join-Path $TestDrive "$([guid]::NewGuid()).json"
        Set-CasbIdentityProvider -StorePath $store -Authority 'https://idp.contoso.local/realms/staff' -ClientId 'gateway' -ClientSecret $secret -SkipValidation
        Add-CasbApp -StorePath $store -Name 'Vendor Portal' -Upstream http://127.0.0.1:5080 -Hostname vendors.contoso.local -SignIn Required
        Export-CasbConfiguration -StorePath $store -Path $file
    }

    It 'exports a reference to the secret, never the secret' {
        $exported = Get-Content $file -Raw
        $exported | Should -Not -Match ([regex]::Escape($secretText))
        ($exported | ConvertFrom-Json).identityProvider.clientSecretId | Should -Not -BeNullOrEmpty
    }

    It 'asks for the secret when the target store has none, and changes nothing without it' {
        { Import-CasbConfiguration -StorePath $other -Path $file } |
            Should -Throw -ErrorId 'IdentityProviderSecretRequired,CasbModule.Cmdlets.ImportCasbConfigurationCommand'
        Get-CasbIdentityProvider -StorePath $other | Should -BeNullOrEmpty
        Get-CasbApp -StorePath $other | Should -BeNullOrEmpty

        $changes = Import-CasbConfiguration -StorePath $other -Path $file -IdentityProviderClientSecret (ConvertTo-SecureString 'target-secret' -AsPlainText -Force) -PassThru
        $changes.ItemType | Should -Contain 'IdentityProvider'
        (Get-CasbIdentityProvider -StorePath $other).ClientCredential | Should -Be 'Secret'
        (Get-CasbApp -StorePath $other).SignIn | Should -Be 'Required'
        Get-Content (Join-Path $other 'casb.secrets.json') -Raw | Should -Match 'target-secret'
    }

    It 'plans the provider with -WhatIf like every other item and writes nothing' {
        Import-CasbConfiguration -StorePath $other -Path $file -WhatIf -IdentityProviderClientSecret (ConvertTo-SecureString 'target-secret' -AsPlainText -Force)

        Get-CasbIdentityProvider -StorePath $other | Should -BeNullOrEmpty
        Join-Path $other 'casb.secrets.json' | Should -Not -Exist
        Join-Path $other 'casb.json' | Should -Not -Exist
    }

    It 'removes the provider and its secret on -Replace with a file that has none' {
        Import-CasbConfiguration -StorePath $other -Path $file -IdentityProviderClientSecret (ConvertTo-SecureString 'target-secret' -AsPlainText -Force)
        $empty = Join-Path $TestDrive "$([guid]::NewGuid()).json"
        Set-Content -Path $empty -Value '{ "schemaVersion": 3 }'

        $changes = Import-CasbConfiguration -StorePath $other -Path $empty -Replace -PassThru -Confirm:$false

        ($changes | Where-Object ItemType -eq 'IdentityProvider').Change | Should -Be 'Removed'
        Get-CasbIdentityProvider -StorePath $other | Should -BeNullOrEmpty
        Get-Content (Join-Path $other 'casb.secrets.json') -Raw | Should -Not -Match 'target-secret'
    }

    It 'keeps the secret the store already has' {
        Set-CasbIdentityProvider -StorePath $store -UserClaim upn
        Export-CasbConfiguration -StorePath $store -Path $file -Force
        Set-CasbIdentityProvider -StorePath $store -UserClaim email

        Import-CasbConfiguration -StorePath $store -Path $file

        (Get-CasbIdentityProvider -StorePath $store).UserClaim | Should -Be 'upn'
        Get-Content (Join-Path $store 'casb.secrets.json') -Raw | Should -Match ([regex]::Escape($secretText))
    }
}
