BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'CertificateLab.ps1')
    $labCrl = Join-Path $LabDir 'intermediate-ca.crl'
    $commandId = 'CasbModule.Cmdlets.AddCasbCertificateRevocationListCommand'
}

AfterAll {
    $Pki.Dispose()
}

Describe 'Add-CasbCertificateRevocationList' {
    BeforeEach {
        $store = New-TestStore
        Add-TestTrustedRoot -StorePath $store
    }

    It 'adds a PEM CRL signed by a trusted intermediate and returns it with -PassThru' {
        $result = Add-CasbCertificateRevocationList -Path $labCrl -StorePath $store -PassThru

        $result | Should -BeOfType 'CasbModule.Types.CasbCertificateRevocationList'
        $result.Issuer | Should -Be $Pki.Intermediate.Subject
        $result.IssuerThumbprint | Should -Be $Pki.Intermediate.Thumbprint
        $result.CrlNumber | Should -Be '1'
        $result.RevokedCount | Should -Be 1
        $result.NextUpdate | Should -BeGreaterThan ([DateTimeOffset]::UtcNow)
        $result.ThisUpdate | Should -BeLessThan ([DateTimeOffset]::UtcNow)
        $result.Id | Should -Match '^[0-9A-F]{64}$'
        $result.AddedAt | Should -Not -BeNullOrEmpty
        (Get-CasbCertificateRevocationList -StorePath $store).Id | Should -Be $result.Id
    }

    It 'writes nothing to the pipeline without -PassThru' {
        Add-CasbCertificateRevocationList -Path $labCrl -StorePath $store | Should -BeNullOrEmpty
        Get-CasbCertificateRevocationList -StorePath $store | Should -HaveCount 1
    }

    It 'reads DER CRLs and files piped from Get-ChildItem' {
        $der = New-TestCrlFile -Name 'der.crl' -Number 2 -Der

        $result = Get-ChildItem $der | Add-CasbCertificateRevocationList -StorePath $store -PassThru

        $result.CrlNumber | Should -Be '2'
    }

    It 'changes nothing when the same CRL is added again' {
        Add-CasbCertificateRevocationList -Path $labCrl -StorePath $store
        $revision = (Get-CasbGatewaySetting -StorePath $store).Revision

        $again = Add-CasbCertificateRevocationList -Path $labCrl -StorePath $store -PassThru

        $again.CrlNumber | Should -Be '1'
        (Get-CasbGatewaySetting -StorePath $store).Revision | Should -Be $revision
    }

    It 'replaces the stored CRL of the same CA with a newer one' {
        Add-CasbCertificateRevocationList -Path $labCrl -StorePath $store
        $newer = New-TestCrlFile -Name 'newer.crl' -Number 2 -Revoked $Pki.RevokedClient, $Pki.ExpiredClient

        Add-CasbCertificateRevocationList -Path $newer -StorePath $store

        $stored = Get-CasbCertificateRevocationList -StorePath $store
        $stored | Should -HaveCount 1
        $stored.CrlNumber | Should -Be '2'
        $stored.RevokedCount | Should -Be 2
    }

    It 'refuses an older CRL than the stored one unless -Force' {
        $newer = New-TestCrlFile -Name 'v5.crl' -Number 5
        Add-CasbCertificateRevocationList -Path $newer -StorePath $store

        { Add-CasbCertificateRevocationList -Path $labCrl -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId "CrlOlderThanStored,$commandId"
        (Get-CasbCertificateRevocationList -StorePath $store).CrlNumber | Should -Be '5'

        Add-CasbCertificateRevocationList -Path $labCrl -StorePath $store -Force
        (Get-CasbCertificateRevocationList -StorePath $store).CrlNumber | Should -Be '1'
    }

    It 'refuses a CRL past its nextUpdate unless -Force' {
        $stale = New-TestCrlFile -Name 'stale.crl' -Number 3 -ThisUpdateDays -10 -NextUpdateDays -1

        { Add-CasbCertificateRevocationList -Path $stale -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId "CrlExpired,$commandId"
        Get-CasbCertificateRevocationList -StorePath $store | Should -BeNullOrEmpty

        (Add-CasbCertificateRevocationList -Path $stale -StorePath $store -Force -PassThru).IsCurrent | Should -BeFalse
    }

    It 'refuses a CRL whose issuer is not trusted' {
        $empty = New-TestStore

        { Add-CasbCertificateRevocationList -Path $labCrl -StorePath $empty -ErrorAction Stop } |
            Should -Throw -ErrorId "CrlIssuerNotTrusted,$commandId"
        Test-Path (Join-Path $empty 'casb.json') | Should -BeFalse
    }

    It 'refuses a CRL with a bad signature' {
        $forged = New-TestCrlFile -Name 'forged.crl' -Number 9 -Forged

        $errors = @()
        Add-CasbCertificateRevocationList -Path $forged -StorePath $store -ErrorAction SilentlyContinue -ErrorVariable errors

        $errors[0].FullyQualifiedErrorId | Should -Be "CrlSignatureInvalid,$commandId"
        $errors[0].Exception.Message | Should -Match 'forged\.crl'
        Get-CasbCertificateRevocationList -StorePath $store | Should -BeNullOrEmpty
    }

    It 'reports garbage and truncated files as CrlUnreadable' {
        $garbage = Join-Path $TestDrive 'garbage.crl'
        Set-Content -Path $garbage -Value 'this is not a CRL'
        $truncated = Join-Path $TestDrive 'truncated.crl'
        [IO.File]::WriteAllBytes($truncated, $Pki.IntermediateCrl[0..40])

        { Add-CasbCertificateRevocationList -Path $garbage -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId "CrlUnreadable,$commandId"
        { Add-CasbCertificateRevocationList -Path $truncated -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId "CrlUnreadable,$commandId"
    }

    It 'refuses a CRL that RFC 5280 forbids using (critical CRL number) as CrlMalformed' {
        $malformed = New-TestRawCrlFile -Name 'malformed.crl' -CriticalCrlNumber
        $wellFormed = New-TestRawCrlFile -Name 'well-formed.crl'

        $errors = @()
        Add-CasbCertificateRevocationList -Path $malformed -StorePath $store -Force -ErrorAction SilentlyContinue -ErrorVariable errors

        $errors[0].FullyQualifiedErrorId | Should -Be "CrlMalformed,$commandId"
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $errors[0].Exception.Message | Should -Match 'malformed\.crl.*CRL number extension critical'
        Get-CasbCertificateRevocationList -StorePath $store | Should -BeNullOrEmpty
        (Add-CasbCertificateRevocationList -Path $wellFormed -StorePath $store -PassThru).CrlNumber | Should -Be '7'
    }

    It 'refuses a SHA-1 signed CRL as CrlWeakSignature unless the store allows weak certificate cryptography' {
        $sha1 = New-TestRawCrlFile -Name 'sha1.crl' -Sha1

        { Add-CasbCertificateRevocationList -Path $sha1 -StorePath $store -Force -ErrorAction Stop } |
            Should -Throw -ErrorId "CrlWeakSignature,$commandId"
        Set-CasbGatewaySetting -AllowWeakCertificateCryptography $true -StorePath $store -WarningAction SilentlyContinue
        (Add-CasbCertificateRevocationList -Path $sha1 -StorePath $store -PassThru).CrlNumber | Should -Be '7'
    }

    It 'reports a missing file' {
        { Add-CasbCertificateRevocationList -Path (Join-Path $TestDrive 'missing.crl') -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId "CertificateFileNotFound,$commandId"
    }

    It 'adds the good files when one file is bad' {
        $garbage = Join-Path $TestDrive 'bad.crl'
        Set-Content -Path $garbage -Value 'nope'

        $result = Add-CasbCertificateRevocationList -Path $garbage, $labCrl -StorePath $store -PassThru -ErrorAction SilentlyContinue

        $result.CrlNumber | Should -Be '1'
        Get-CasbCertificateRevocationList -StorePath $store | Should -HaveCount 1
    }

    It 'writes nothing with -WhatIf' {
        Add-CasbCertificateRevocationList -Path $labCrl -StorePath $store -WhatIf

        Get-CasbCertificateRevocationList -StorePath $store | Should -BeNullOrEmpty
    }

    It 'makes Test-CasbClientCertificate report the revoked certificate' {
        Add-CasbCertificateRevocationList -Path $labCrl -StorePath $store

        (Test-CasbClientCertificate -Certificate $Pki.RevokedClient -StorePath $store).Status | Should -Be 'Revoked'
    }
}
