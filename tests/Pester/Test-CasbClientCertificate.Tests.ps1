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
