BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'CertificateLab.ps1')
    $commandId = 'CasbModule.Cmdlets.GetCasbCertificateRevocationListCommand'
    $store = New-TestStore
    Add-TestTrustedRoot -StorePath $store
    $rootCrl = Join-Path $TestDrive 'root.crl'
    [IO.File]::WriteAllBytes($rootCrl, $Pki.RootCrl)
    $intermediate = Add-CasbCertificateRevocationList -Path (Join-Path $LabDir 'intermediate-ca.crl') -StorePath $store -PassThru
    $root = Add-CasbCertificateRevocationList -Path $rootCrl -StorePath $store -PassThru
}

AfterAll {
    $Pki.Dispose()
}

Describe 'Get-CasbCertificateRevocationList' {
    It 'lists every CRL, sorted by issuer' {
        $all = Get-CasbCertificateRevocationList -StorePath $store

        $all | Should -HaveCount 2
        $all.Issuer | Should -Be @($Pki.Intermediate.Subject, $Pki.Root.Subject)
        $all[0] | Should -BeOfType 'CasbModule.Types.CasbCertificateRevocationList'
    }

    It 'filters by issuer with wildcards, positionally' {
        $result = Get-CasbCertificateRevocationList '*Issuing*' -StorePath $store

        $result | Should -HaveCount 1
        $result.Id | Should -Be $intermediate.Id
        Get-CasbCertificateRevocationList -Issuer 'CN=Nobody*' -StorePath $store | Should -BeNullOrEmpty
    }

    It 'gets CRLs by id and reports an unknown id' {
        (Get-CasbCertificateRevocationList -Id $root.Id -StorePath $store).Issuer | Should -Be $Pki.Root.Subject
        { Get-CasbCertificateRevocationList -Id 'ABCDEF' -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId "CrlNotFound,$commandId"
    }

    It 'returns nothing from an empty store' {
        Get-CasbCertificateRevocationList -StorePath (New-TestStore) | Should -BeNullOrEmpty
    }

    It 'reports a corrupt store' {
        $corrupt = New-TestStore
        New-Item -ItemType Directory -Path $corrupt | Out-Null
        Set-Content -Path (Join-Path $corrupt 'casb.json') -Value '{ nope'

        { Get-CasbCertificateRevocationList -StorePath $corrupt } | Should -Throw -ErrorId "StoreCorrupt,$commandId"
    }

    It 'has a table view' {
        $text = Get-CasbCertificateRevocationList -StorePath $store | Format-Table | Out-String -Width 200

        $text | Should -Match 'Issuer\s+CrlNumber\s+DeltaOf\s+ThisUpdate\s+NextUpdate\s+Revoked\s+Current'
        $text | Should -Match 'Casb Lab Issuing CA'
    }

    It 'completes issuers and ids from the store given by -StorePath' {
        $issuers = (TabExpansion2 -inputScript "Get-CasbCertificateRevocationList -StorePath '$store' -Issuer 'CN=Casb Lab I").CompletionMatches
        $ids = (TabExpansion2 -inputScript "Remove-CasbCertificateRevocationList -StorePath '$store' -Id $($root.Id.Substring(0, 6))").CompletionMatches

        $issuers.CompletionText | Should -Be @("'$($Pki.Intermediate.Subject)'")
        $ids.CompletionText | Should -Be @($root.Id)
    }
}
