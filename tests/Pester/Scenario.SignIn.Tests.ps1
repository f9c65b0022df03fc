# Sign-in in the store and in what-if: apps that sign users in, Test-CasbAccess -Claims through the engine's identity
# stage, and the certificate-user mismatch setting.
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    $script:edge = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0'
}

Describe 'Sign-in in the store and in what-if' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
    }

    It 'refuses an app that signs users in when the store has no identity provider' {
        { Add-CasbApp -StorePath $store -Name 'Vendor Portal' -Upstream http://127.0.0.1:5080 -Hostname vendors.contoso.local -SignIn Required } |
            Should -Throw -ErrorId 'SignInWithoutIdentityProvider,CasbModule.Cmdlets.AddCasbAppCommand'
        Get-CasbApp -StorePath $store | Should -BeNullOrEmpty
    }

    Context 'with an identity provider, groups and policies' {
        BeforeEach {
            Set-CasbIdentityProvider -StorePath $store -Authority 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0' -ClientId 'gateway' `
                -ClientSecret (ConvertTo-SecureString 'x' -AsPlainText -Force) -Name 'Entra ID' -SkipValidation
            Add-CasbApp -StorePath $store -Name 'Vendor Portal' -Upstream http://127.0.0.1:5080 -Hostname vendors.contoso.local -SignIn Required
            New-CasbGroup -StorePath $store -Name 'Vendors' | Out-Null
            New-CasbGroup -StorePath $store -Name 'Trusted' | Out-Null
            New-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -IncludeUser All -ExcludeGroup Trusted -SessionControl AppControl | Out-Null
            New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual `
                -Action Block -BlockMessage 'Use a company device.' | Out-Null
        }

        It 'shows SignIn on the app' {
            (Get-CasbApp -StorePath $store -Name 'Vendor Portal').SignIn | Should -Be 'Required'
            (Get-CasbApp -StorePath $store | Format-Table | Out-String -Width 300) | Should -Match 'Required'
        }

        It 'asks for sign-in when nobody signed in' {
            $decision = Test-CasbAccess -StorePath $store -App 'Vendor Portal' -UserAgent $edge

            $decision.Action | Should -Be 'Block'
            $decision.SignInRequired | Should -BeTrue
            $decision.BlockMessage | Should -Be 'Sign in to Vendor Portal to continue.'
        }

        It 'reads the user and the groups from -Claims as a hashtable, JSON or a JWT, as the gateway reads a session' {
            $vendor = Test-CasbAccess -StorePath $store -App 'Vendor Portal' -UserAgent $edge -Claims @{ preferred_username = 'vendor@fabrikam.com'; groups = 'Vendors' }
            $json = Test-CasbAccess -StorePath $store -App 'Vendor Portal' -UserAgent $edge -Claims '{"preferred_username":"admin@contoso.com","groups":["Trusted"]}'
            $payload = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('{"preferred_username":"admin@contoso.com","groups":["Trusted"]}')).TrimEnd('=').Replace('+', '-').Replace('/', '_')
            $jwt = Test-CasbAccess -StorePath $store -App 'Vendor Portal' -UserAgent $edge -Claims "eyJhbGciOiJub25lIn0.$payload.sig"

            $vendor.User | Should -Be 'vendor@fabrikam.com'
            $vendor.UserSource | Should -Be 'SignIn'
            $vendor.IdentityProvider | Should -Be 'Entra ID'
            $vendor.Groups | Should -Be @('Vendors')
            $vendor.Action | Should -Be 'Block'
            $vendor.BlockMessage | Should -Be 'Use a company device.'
            $json.Action | Should -Be 'Allow'
            $json.UnderAppControl | Should -BeFalse
            $jwt.Action | Should -Be 'Allow'
            $jwt.User | Should -Be 'admin@contoso.com'
        }

        It 'refuses claims it cannot read, and claims together with -User' {
            { Test-CasbAccess -StorePath $store -App 'Vendor Portal' -Claims 'not a token' } |
                Should -Throw -ErrorId 'InvalidClaims,CasbModule.Cmdlets.TestCasbAccessCommand'
            { Test-CasbAccess -StorePath $store -App 'Vendor Portal' -User 'a@b.c' -Claims @{ upn = 'a@b.c' } } |
                Should -Throw -ErrorId 'ClaimsWithUser,CasbModule.Cmdlets.TestCasbAccessCommand'
        }

        It 'marks or blocks a certificate of another user as the gateway setting says' {
            $lab = Join-Path $TestDrive 'lab'
            $password = ConvertTo-SecureString 'CasbLab!2026' -AsPlainText -Force
            New-CasbSampleCertificate -OutputPath $lab -Password $password | Out-Null
            Add-CasbTrustedRoot -StorePath $store -Path (Join-Path $lab 'root-ca.pem'), (Join-Path $lab 'intermediate-ca.pem') | Out-Null
            Set-CasbGatewaySetting -StorePath $store -RevocationMode None
            $certificate = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile((Join-Path $lab 'client.pfx'), 'CasbLab!2026')
            $principal = (Test-CasbClientCertificate -StorePath $store -Certificate $certificate).Principal

            $audit = Test-CasbAccess -StorePath $store -App 'Vendor Portal' -UserAgent $edge -Certificate $certificate -Claims @{ preferred_username = 'bob@fabrikam.com' }
            (Set-CasbGatewaySetting -StorePath $store -CertificateUserMismatch Block -PassThru).CertificateUserMismatch | Should -Be 'Block'
            $block = Test-CasbAccess -StorePath $store -App 'Vendor Portal' -UserAgent $edge -Certificate $certificate -Claims @{ preferred_username = 'bob@fabrikam.com' }

            (Get-CasbGatewaySetting -StorePath $store | Out-String) | Should -Match 'CertificateUserMismatch\s+: Block'
            $audit.CertificateUserMismatch | Should -BeTrue
            $audit.Action | Should -Be 'Allow'
            $block.Action | Should -Be 'Block'
            $block.BlockMessage | Should -Be "This device's certificate belongs to $principal, but you signed in as bob@fabrikam.com."
        }
    }
}
