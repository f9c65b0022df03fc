BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'CertificateLab.ps1')
    $commandId = 'CasbModule.Cmdlets.RemoveCasbCertificateRevocationListCommand'
    $rootCrl = Join-Path $TestDrive 'root.crl'
    [IO.File]::WriteAllBytes($rootCrl, $Pki.RootCrl)
}

AfterAll {
    $Pki.Dispose()
}

Describe 'Remove-CasbCertificateRevocationList' {
    BeforeEach {
        $store = New-TestStore
        Add-TestTrustedRoot -StorePath $store
        $intermediate = Add-CasbCertificateRevocationList -Path (Join-Path $LabDir 'intermediate-ca.crl') -StorePath $store -PassThru
        $root = Add-CasbCertificateRevocationList -Path $rootCrl -StorePath $store -PassThru
    }

    It 'removes CRLs piped from Get-CasbCertificateRevocationList' {
        Get-CasbCertificateRevocationList -Issuer '*Issuing*' -StorePath $store | Remove-CasbCertificateRevocationList -StorePath $store -Confirm:$false

        (Get-CasbCertificateRevocationList -StorePath $store).Id | Should -Be @($root.Id)
        (Test-CasbClientCertificate -Certificate $Pki.RevokedClient -StorePath $store).IsValid | Should -BeTrue
    }

    It 'removes a piped CRL from the store it was read from, not from the default store' {
        # The default store ($env:CASB_STORE) holds the same CRL: it must keep it, so the revoked device stays revoked there.
        $default = New-TestStore
        Add-TestTrustedRoot -StorePath $default
        Add-CasbCertificateRevocationList -Path (Join-Path $LabDir 'intermediate-ca.crl') -StorePath $default
        $saved = $env:CASB_STORE
        $env:CASB_STORE = $default
        try {
            Get-CasbCertificateRevocationList -Issuer '*Issuing*' -StorePath $store | Remove-CasbCertificateRevocationList -Confirm:$false -ErrorAction Stop
        }
        finally {
            $env:CASB_STORE = $saved
        }

        (Get-CasbCertificateRevocationList -StorePath $store).Id | Should -Be @($root.Id)
        (Get-CasbCertificateRevocationList -StorePath $default).Id | Should -Be @($intermediate.Id)
    }

    It 'removes by id and returns the removed CRL with -PassThru' {
        $removed = Remove-CasbCertificateRevocationList $root.Id -StorePath $store -PassThru -Confirm:$false

        $removed.Id | Should -Be $root.Id
        $removed | Should -BeOfType 'CasbModule.Types.CasbCertificateRevocationList'
        Get-CasbCertificateRevocationList -StorePath $store | Should -HaveCount 1
    }

    It 'removes nothing with -WhatIf' {
        Remove-CasbCertificateRevocationList -Id $intermediate.Id, $root.Id -StorePath $store -WhatIf

        Get-CasbCertificateRevocationList -StorePath $store | Should -HaveCount 2
    }

    It 'reports an unknown id and goes on with the next' {
        $errors = @()
        Remove-CasbCertificateRevocationList -Id 'NOPE', $root.Id -StorePath $store -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -Be "CrlNotFound,$commandId"
        $errors[0].Exception.Message | Should -Match "'NOPE'"
        (Get-CasbCertificateRevocationList -StorePath $store).Id | Should -Be @($intermediate.Id)
    }

    It 'stops on an unknown id with -ErrorAction Stop' {
        { Remove-CasbCertificateRevocationList -Id 'NOPE' -StorePath $store -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId "CrlNotFound,$commandId"
    }
}
