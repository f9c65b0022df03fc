BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'CertificateLab.ps1')
    $trustedStore = New-TestStore
    Add-TestTrustedRoot -StorePath $trustedStore
}

AfterAll {
    $Pki.Dispose()
}

Describe 'Test-CasbClientCertificate' {
    Context 'valid certificates' {
        It 'validates a client certificate PFX: device tag, principal, chain' {
            $result = Test-CasbClientCertificate -Path (Join-Path $LabDir 'client.pfx') -Password $SecurePassword -StorePath $trustedStore

            $result | Should -BeOfType 'CasbModule.Types.CasbCertificateValidation'
            $result.IsValid | Should -BeTrue
            $result.Status | Should -Be 'Valid'
            $result.DeviceTags | Should -Be @('Valid client certificate')
            $result.FailureReasons | Should -BeNullOrEmpty
            $result.Principal | Should -Be 'vendor@contoso.com'
            $result.Thumbprint | Should -Be $Pki.Client.Thumbprint
            $result.Chain.Subject | Should -Be @($Pki.Client.Subject, $Pki.Intermediate.Subject, $Pki.Root.Subject)
            $result.Source | Should -Be (Join-Path $LabDir 'client.pfx')
        }

        It 'validates PEM files relative to the current location' {
            Push-Location $LabDir
            try {
                (Test-CasbClientCertificate -Path ./client.pem -StorePath $trustedStore).IsValid | Should -BeTrue
            }
            finally { Pop-Location }
        }

        It 'validates certificate objects from the pipeline' {
            $results = $Pki.Client, $Pki.ServerAuthOnlyClient | Test-CasbClientCertificate -StorePath $trustedStore

            $results | Should -HaveCount 2
            $results[0].IsValid | Should -BeTrue
            $results[1].FailureReasons | Should -Be @('NoClientAuthentication')
        }

        It 'validates the files Get-ChildItem pipes in, and wildcards' {
            $piped = Get-ChildItem (Join-Path $LabDir 'client.pem') | Test-CasbClientCertificate -StorePath $trustedStore
            $wildcard = Test-CasbClientCertificate -Path (Join-Path $LabDir '*client.pfx') -Password $SecurePassword -StorePath $trustedStore

            $piped.IsValid | Should -BeTrue
            $wildcard.Count | Should -Be 4 # client, expired, revoked, untrusted
            # The revoked client is valid here: this store has no CRL and the mode is Optional.
            ($wildcard | Where-Object IsValid).Thumbprint | Sort-Object | Should -Be (@($Pki.Client.Thumbprint, $Pki.RevokedClient.Thumbprint) | Sort-Object)
        }

        It 'checks at the time given with -At' {
            $then = (Get-Date).AddDays(-45)

            $result = Test-CasbClientCertificate -Certificate $Pki.ExpiredClient -At $then -StorePath $trustedStore

            $result.IsValid | Should -BeTrue
            $result.ValidatedAt | Should -Be ([DateTimeOffset] $then)
        }
    }

    Context 'invalid certificates are objects, not errors' {
        It 'reports an expired certificate' {
            $result = Test-CasbClientCertificate -Path (Join-Path $LabDir 'expired-client.pfx') -Password $SecurePassword -StorePath $trustedStore -ErrorAction Stop

            $result.IsValid | Should -BeFalse
            $result.Status | Should -Be 'Expired'
            $result.DeviceTags | Should -BeNullOrEmpty
            $result.Failures[0].Message | Should -Match 'expired on'
        }

        It 'reports a certificate from an untrusted CA' {
            $result = Test-CasbClientCertificate -Path (Join-Path $LabDir 'untrusted-client.pfx') -Password $SecurePassword -StorePath $trustedStore -ErrorAction Stop

            $result.IsValid | Should -BeFalse
            $result.FailureReasons | Should -Contain 'UntrustedRoot'
        }

        It 'reports every certificate as untrusted in an empty store' {
            (Test-CasbClientCertificate -Certificate $Pki.Client -StorePath (New-TestStore)).FailureReasons | Should -Contain 'UntrustedRoot'
        }

        It 'reports a certificate revoked by a stored CRL' {
            $store = New-TestStore
            Add-TestTrustedRoot -StorePath $store
            Add-CasbCertificateRevocationList -Path (Join-Path $LabDir 'intermediate-ca.crl') -StorePath $store

            $result = Test-CasbClientCertificate -Path (Join-Path $LabDir 'revoked-client.pfx') -Password $SecurePassword -StorePath $store

            $result.IsValid | Should -BeFalse
            $result.FailureReasons | Should -Be @('Revoked')
            (Test-CasbClientCertificate -Certificate $Pki.Client -StorePath $store).IsValid | Should -BeTrue
        }

        It 'reports RevocationUnknown in Required mode when no CRL can be found' {
            $store = New-TestStore
            Add-TestTrustedRoot -StorePath $store
            Set-CasbGatewaySetting -RevocationMode Required -StorePath $store

            $result = Test-CasbClientCertificate -Certificate $Pki.Client -StorePath $store

            $result.IsValid | Should -BeFalse
            $result.FailureReasons | Should -Contain 'RevocationUnknown'
            $result.RevocationMode | Should -Be 'Required'
            $result.Failures.Message -join ' ' | Should -Match 'no CRL distribution point'
        }
    }

    Context 'rules the gateway enforces itself (not left to the platform chain builder)' {
        It 'reports a weak key and a weak signature, and accepts both once the store allows weak certificate cryptography' {
            $store = New-TestStore
            Add-TestTrustedRoot -StorePath $store
            $rsa1024 = New-TestClientCertificate -KeyBits 1024
            $sha1 = New-TestClientCertificate -Sha1

            $weakKey = Test-CasbClientCertificate -Certificate $rsa1024 -StorePath $store
            $weakSignature = Test-CasbClientCertificate -Certificate $sha1 -StorePath $store
            Set-CasbGatewaySetting -AllowWeakCertificateCryptography $true -StorePath $store -WarningAction SilentlyContinue

            $weakKey.FailureReasons | Should -Be @('WeakKey')
            $weakKey.Failures[0].Message | Should -Match '1024 bits; at least 2048'
            $weakSignature.FailureReasons | Should -Be @('WeakSignature')
            $weakSignature.Failures[0].Message | Should -Match 'SHA-1'
            (Test-CasbClientCertificate -Certificate $rsa1024 -StorePath $store).IsValid | Should -BeTrue
            (Test-CasbClientCertificate -Certificate $sha1 -StorePath $store).IsValid | Should -BeTrue
        }

        It 'reports a certificate that may sign certificates as NotEndEntity' {
            $result = Test-CasbClientCertificate -Certificate (New-TestClientCertificate -KeyCertSign) -StorePath $trustedStore

            $result.FailureReasons | Should -Be @('NotEndEntity')
            $result.Failures[0].Message | Should -Match 'keyCertSign'
        }

        It 'reports a CA whose extended key usages leave out client authentication' {
            $store = New-TestStore
            $ca = New-TestCa -Subject 'CN=Pester Server-Only Root' -Ekus '1.3.6.1.5.5.7.3.1'
            $null = Add-CasbTrustedRoot -Certificate $ca -StorePath $store

            $result = Test-CasbClientCertificate -Certificate (New-TestClientCertificate -Issuer $ca) -StorePath $store

            $result.FailureReasons | Should -Be @('CaNotForClientAuthentication')
            $result.Failures[0].Message | Should -Match 'Pester Server-Only Root'
        }

        It 'reports a user name outside the name constraints of a CA, and passes one inside' {
            $store = New-TestStore
            $ca = New-TestCa -Subject 'CN=Pester Fabrikam-Only Root' -PermittedEmail 'fabrikam.com'
            $null = Add-CasbTrustedRoot -Certificate $ca -StorePath $store

            $outside = Test-CasbClientCertificate -Certificate (New-TestClientCertificate -Issuer $ca -Upn 'admin@contoso.com') -StorePath $store
            $inside = Test-CasbClientCertificate -Certificate (New-TestClientCertificate -Issuer $ca -Upn 'alice@fabrikam.com') -StorePath $store

            $outside.FailureReasons | Should -Be @('NameConstraintViolation')
            $outside.Failures[0].Message | Should -Match "'admin@contoso.com' is not within the names it may issue \('fabrikam.com'\)"
            $inside.IsValid | Should -BeTrue
            $inside.Principal | Should -Be 'alice@fabrikam.com'
        }

        It 'reports a malformed user principal name and names no one' {
            $result = Test-CasbClientCertificate -Certificate (New-TestClientCertificate -Upn 'admin') -StorePath $trustedStore

            $result.FailureReasons | Should -Be @('MalformedSubjectAlternativeName')
            $result.Principal | Should -BeNullOrEmpty
            $result.Failures[0].Message | Should -Match "user principal name 'admin' must contain exactly one '@'"
        }

        It 'still reports a revoked certificate once the CRL that lists it is past its nextUpdate' {
            $store = New-TestStore
            Add-TestTrustedRoot -StorePath $store
            Add-CasbCertificateRevocationList -Path (Join-Path $LabDir 'intermediate-ca.crl') -StorePath $store

            $result = Test-CasbClientCertificate -Certificate $Pki.RevokedClient -At (Get-Date).AddDays(8) -StorePath $store

            $result.RevocationMode | Should -Be 'Optional'
            $result.FailureReasons | Should -Be @('Revoked')
            $result.Failures[0].Message | Should -Match 'past its nextUpdate'
        }
    }

    Context 'file errors' {
        It 'reports a missing file' {
            { Test-CasbClientCertificate -Path (Join-Path $TestDrive 'missing.pfx') -StorePath $trustedStore -ErrorAction Stop } |
                Should -Throw -ErrorId 'CertificateFileNotFound,CasbModule.Cmdlets.TestCasbClientCertificateCommand'
        }

        It 'reports a wrong PFX password' {
            $wrong = ConvertTo-SecureString 'not-it' -AsPlainText -Force
            { Test-CasbClientCertificate -Path (Join-Path $LabDir 'client.pfx') -Password $wrong -StorePath $trustedStore -ErrorAction Stop } |
                Should -Throw -ErrorId 'PfxPasswordInvalid,CasbModule.Cmdlets.TestCasbClientCertificateCommand'
        }

        It 'reports a garbage file and says why' {
            $garbage = Join-Path $TestDrive 'garbage.crt'
            [IO.File]::WriteAllBytes($garbage, [byte[]](1, 2, 3, 250, 251, 0))

            $errors = @()
            $output = Test-CasbClientCertificate -Path $garbage -StorePath $trustedStore -ErrorAction SilentlyContinue -ErrorVariable errors

            $output | Should -BeNullOrEmpty
            $errors[0].FullyQualifiedErrorId | Should -Be 'CertificateUnreadable,CasbModule.Cmdlets.TestCasbClientCertificateCommand'
            $errors[0].Exception.Message | Should -Match 'garbage\.crt.*neither PEM text nor DER'
        }

        It 'reports a truncated certificate' {
            $truncated = Join-Path $TestDrive 'truncated.cer'
            [IO.File]::WriteAllBytes($truncated, $Pki.Client.RawData[0..99])

            { Test-CasbClientCertificate -Path $truncated -StorePath $trustedStore -ErrorAction Stop } |
                Should -Throw -ErrorId 'CertificateUnreadable,CasbModule.Cmdlets.TestCasbClientCertificateCommand'
        }

        It 'goes on with the next file after a bad one' {
            $results = Test-CasbClientCertificate -Path (Join-Path $TestDrive 'missing.pem'), (Join-Path $LabDir 'client.pem') -StorePath $trustedStore -ErrorAction SilentlyContinue

            $results | Should -HaveCount 1
            $results.IsValid | Should -BeTrue
        }
    }

    Context 'presentation' {
        It 'has a table view and a list view with the failure messages' {
            $result = Test-CasbClientCertificate -Certificate $Pki.ExpiredClient -StorePath $trustedStore

            ($result | Format-Table | Out-String) | Should -Match 'IsValid\s+Status\s+Principal'
            ($result | Format-List | Out-String) | Should -Match 'Failures\s+: Expired: The certificate expired on'
        }

        It 'has help with examples' {
            (Get-Help Test-CasbClientCertificate -Examples).examples.example.Count | Should -BeGreaterOrEqual 1
            (Get-Help Test-CasbClientCertificate).Description.Text | Should -Match 'trusted roots'
        }
    }
}
