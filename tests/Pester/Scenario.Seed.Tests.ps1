# The seed's scenario end to end with the what-if engine: lab PKI, trusted roots, the app, the conditional-access
# policy routing everyone through App Control, and the one-line access policy requiring a client certificate.
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    $edge = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
    $outlook = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)'
    $labPassword = 'CasbLab!2026'

    function Read-LabCertificate([string] $Name) {
        [Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile((Join-Path $lab $Name), $labPassword)
    }

    $store = Join-Path $TestDrive 'store'
    $lab = Join-Path $TestDrive 'lab'
    $files = New-CasbSampleCertificate -OutputPath $lab
    $files | Where-Object Kind -In 'RootCertificateAuthority', 'IntermediateCertificateAuthority' | Add-CasbTrustedRoot -StorePath $store | Out-Null
    Add-CasbCertificateRevocationList -StorePath $store -Path (Join-Path $lab 'intermediate-ca.crl') | Out-Null

    Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'https://127.0.0.1:9443' -Hostname 'portal.contoso.local'
    New-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -IncludeUser All -App 'Microsoft Online Services' -SessionControl AppControl | Out-Null
    $env:CASB_STORE = $store
    New-CasbAccessPolicy -Name 'Require certificate' -App 'Microsoft Online Services' -DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.' | Out-Null
    Remove-Item Env:CASB_STORE

    $client = Read-LabCertificate 'client.pfx'
}

AfterAll {
    Remove-Item Env:CASB_STORE -ErrorAction SilentlyContinue
}

Describe 'Seed scenario: require a client certificate for Microsoft Online Services' {
    It 'allows a vendor with the lab client certificate in Edge' {
        $decision = Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -Certificate $client -UserAgent $edge

        $decision.Action | Should -Be 'Allow'
        $decision.CertificateStatus | Should -Be 'Valid'
        $decision.DeviceTags | Should -Contain 'Valid client certificate'
        $decision.User | Should -Not -BeNullOrEmpty
        $decision.UnderAppControl | Should -BeTrue
        $decision.BlockMessage | Should -BeNullOrEmpty
    }

    It 'blocks Edge without a certificate with the custom message' {
        $decision = Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge

        $decision.Action | Should -Be 'Block'
        $decision.BlockMessage | Should -Be 'Use a company device.'
        $decision.BlockingPolicy | Should -Be 'Require certificate'
        $decision.ClientAppType | Should -Be 'Browser'
    }

    It 'does not affect Outlook desktop without a certificate (the policy is browser-only)' {
        $decision = Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $outlook

        $decision.ClientAppType | Should -Be 'MobileAndDesktop'
        $decision.Action | Should -Be 'Allow'
    }

    It 'blocks Edge with a certificate that is <Case>' -TestCases @(
        @{ Case = 'expired'; File = 'expired-client.pfx' }
        @{ Case = 'from an untrusted CA'; File = 'untrusted-client.pfx' }
        @{ Case = 'revoked'; File = 'revoked-client.pfx' }
    ) {
        $certificate = Read-LabCertificate $File

        $decision = Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -Certificate $certificate -UserAgent $edge

        $decision.Action | Should -Be 'Block'
        $decision.CertificateStatus | Should -Not -Be 'Valid'
        $decision.BlockMessage | Should -Be 'Use a company device.'
    }

    It 'finds the app from its URL as the gateway would' {
        (Test-CasbAccess -StorePath $store -Uri 'https://portal.contoso.local/mail' -UserAgent $edge).Action | Should -Be 'Block'
        (Test-CasbAccess -StorePath $store -Uri 'https://portal.contoso.local/mail' -Certificate $client -UserAgent $edge).Action | Should -Be 'Allow'
    }

    It 'decides the same after an export and a -Replace import into another store (policy as code)' {
        $file = Join-Path $TestDrive 'seed.json'
        $copy = Join-Path $TestDrive 'copy'
        Export-CasbConfiguration -StorePath $store -Path $file
        Add-CasbApp -StorePath $copy -Name 'Leftover' -Upstream 'http://127.0.0.1:1'

        Import-CasbConfiguration -StorePath $copy -Path $file -Replace

        (Get-CasbApp -StorePath $copy).Name | Should -Be 'Microsoft Online Services'
        (Get-CasbTrustedRoot -StorePath $copy).Thumbprint | Should -Be (Get-CasbTrustedRoot -StorePath $store).Thumbprint
        (Test-CasbAccess -StorePath $copy -App 'Microsoft Online Services' -UserAgent $edge).BlockMessage | Should -Be 'Use a company device.'
        (Test-CasbAccess -StorePath $copy -App 'Microsoft Online Services' -Certificate $client -UserAgent $edge).Action | Should -Be 'Allow'
    }

    It 'turns the block into nothing when the access policy is disabled from the pipeline' {
        $copy = Join-Path $TestDrive 'disabled'
        Export-CasbConfiguration -StorePath $store -Path (Join-Path $TestDrive 'disabled.json')
        Import-CasbConfiguration -StorePath $copy -Path (Join-Path $TestDrive 'disabled.json')

        Get-CasbAccessPolicy -StorePath $copy -Name 'Require*' | Disable-CasbAccessPolicy

        (Test-CasbAccess -StorePath $copy -App 'Microsoft Online Services' -UserAgent $edge).Action | Should -Be 'Allow'
    }
}
