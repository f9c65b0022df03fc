# Scenario: the admin walkthrough of issue 2, from an empty store to a verdict on every lab certificate.
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    $lab = Join-Path $TestDrive 'lab'
    $store = Join-Path $TestDrive 'store'
    $password = ConvertTo-SecureString 'Walkthrough-1' -AsPlainText -Force
    $null = New-CasbSampleCertificate -OutputPath $lab -Password $password
}

Describe 'Device identification walkthrough' {
    It 'trusts nothing before the CAs are added' {
        (Test-CasbClientCertificate -Path (Join-Path $lab 'client.pem') -StorePath $store).Status | Should -Be 'UntrustedRoot'
    }

    It 'gives each lab certificate the verdict an admin expects once the CAs and the CRL are added' {
        Add-CasbTrustedRoot -Path (Join-Path $lab 'ca-chain.pem') -StorePath $store | Should -HaveCount 2
        Add-CasbCertificateRevocationList -Path (Join-Path $lab 'intermediate-ca.crl') -StorePath $store -PassThru |
            Select-Object -ExpandProperty RevokedCount | Should -Be 1

        $verdicts = @{}
        foreach ($name in 'client', 'expired-client', 'revoked-client', 'untrusted-client', 'server-auth-only') {
            $verdicts[$name] = Test-CasbClientCertificate -Path (Join-Path $lab "$name.pfx") -Password $password -StorePath $store
        }

        $verdicts['client'].IsValid | Should -BeTrue
        $verdicts['client'].DeviceTags | Should -Be @('Valid client certificate')
        $verdicts['expired-client'].Status | Should -Be 'Expired'
        $verdicts['revoked-client'].Status | Should -Be 'Revoked'
        $verdicts['untrusted-client'].Status | Should -Be 'UntrustedRoot'
        $verdicts['server-auth-only'].Status | Should -Be 'NoClientAuthentication'
    }

    It 'blocks a certificate whose revocation cannot be established once the mode is Required' {
        Set-CasbGatewaySetting -RevocationMode Required -StorePath $store

        $result = Test-CasbClientCertificate -Path (Join-Path $lab 'client.pfx') -Password $password -StorePath $store

        # The issuing CA's CRL is stored, but nothing says whether the issuing CA itself is revoked.
        $result.Status | Should -Be 'RevocationUnknown'
        $result.Failures.Message | Should -Match 'CN=Casb Lab Issuing CA'
    }

    It 'stops trusting certificates when their CA is removed' {
        Get-CasbTrustedRoot -StorePath $store | Where-Object Kind -EQ 'Intermediate' | Remove-CasbTrustedRoot -StorePath $store -Confirm:$false
        Set-CasbGatewaySetting -RevocationMode Optional -StorePath $store

        (Test-CasbClientCertificate -Path (Join-Path $lab 'client.pem') -StorePath $store).IsValid | Should -BeFalse
    }
}
