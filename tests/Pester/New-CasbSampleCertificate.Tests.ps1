BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    $expectedNames = @(
        'root-ca.pem', 'intermediate-ca.pem', 'ca-chain.pem', 'untrusted-root-ca.pem', 'client.pfx', 'client.pem',
        'client-legacy-3des.pfx', 'expired-client.pfx', 'revoked-client.pfx', 'untrusted-client.pfx',
        'server-auth-only.pfx', 'gateway.pfx', 'intermediate-ca.crl', 'root-ca.crl')

    function Read-Pfx([string] $Path, [string] $Password) {
        [Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12Collection([IO.File]::ReadAllBytes($Path), $Password)
    }

    # One lab with the defaults for the tests that only read it: making the keys is the slow part.
    $shared = Join-Path $TestDrive 'shared-lab'
    $sharedFiles = New-CasbSampleCertificate -OutputPath $shared
}

Describe 'New-CasbSampleCertificate' {
    BeforeEach {
        $out = Join-Path $TestDrive ([guid]::NewGuid())
    }

    It 'writes the whole lab and describes every file' {
        $files = $sharedFiles

        $files.Name | Should -Be $expectedNames
        $files[0] | Should -BeOfType 'CasbModule.Types.CasbSampleCertificateFile'
        (Get-ChildItem $shared).Name | Sort-Object | Should -Be ($expectedNames | Sort-Object)
        ($files | Where-Object Name -EQ 'root-ca.pem').Kind | Should -Be 'RootCertificateAuthority'
        ($files | Where-Object Name -EQ 'expired-client.pfx').Kind | Should -Be 'NegativeTest'
        $files | ForEach-Object { $_.Description | Should -Not -BeNullOrEmpty; Test-Path $_.Path | Should -BeTrue }
    }

    It 'protects the PFX files with the documented lab password when none is given' {
        $client = Read-Pfx (Join-Path $shared 'client.pfx') 'CasbLab!2026'
        ($client | Where-Object HasPrivateKey).Subject | Should -Be 'CN=Vendor Device, O=Fabrikam'
    }

    It 'puts the chain but no CA key into the client PFX, and names the given user' {
        $password = ConvertTo-SecureString 'S3cret-lab' -AsPlainText -Force
        New-CasbSampleCertificate $out -Password $password -UserPrincipalName 'alice@contoso.com' | Out-Null

        $client = Read-Pfx (Join-Path $out 'client.pfx') 'S3cret-lab'
        $client | Should -HaveCount 3
        @($client | Where-Object HasPrivateKey) | Should -HaveCount 1
        $leaf = $client | Where-Object HasPrivateKey
        $leaf.GetNameInfo([Security.Cryptography.X509Certificates.X509NameType]::UpnName, $false) | Should -Be 'alice@contoso.com'
        { Read-Pfx (Join-Path $out 'client.pfx') 'CasbLab!2026' } | Should -Throw
    }

    It 'writes a gateway certificate for localhost and 127.0.0.1 and CA files Add-CasbTrustedRoot accepts' {
        $files = $sharedFiles
        $gateway = Read-Pfx (Join-Path $shared 'gateway.pfx') 'CasbLab!2026' | Where-Object HasPrivateKey
        $san = $gateway.Extensions | Where-Object { $_.Oid.Value -eq '2.5.29.17' }

        $san.Format($false) | Should -Match 'localhost'
        $san.Format($false) | Should -Match '127\.0\.0\.1'
        $roots = $files | Where-Object Kind -In 'RootCertificateAuthority', 'IntermediateCertificateAuthority' |
            Add-CasbTrustedRoot -StorePath (Join-Path $TestDrive ([guid]::NewGuid()))
        $roots.Kind | Should -Be @('Root', 'Intermediate')
    }

    It 'never overwrites existing lab files without -Force' {
        New-Item -ItemType Directory -Path $out | Out-Null
        Set-Content -Path (Join-Path $out 'client.pfx') -Value 'keep me'

        { New-CasbSampleCertificate $out } |
            Should -Throw -ErrorId 'SampleFileExists,CasbModule.Cmdlets.NewCasbSampleCertificateCommand'
        Get-Content (Join-Path $out 'client.pfx') | Should -Be 'keep me'
        (Get-ChildItem $out).Name | Should -Be @('client.pfx')
    }

    It 'overwrites the lab with -Force' {
        $first = New-CasbSampleCertificate $out
        $before = Get-Content (Join-Path $out 'root-ca.pem') -Raw

        $second = New-CasbSampleCertificate $out -Force

        $second | Should -HaveCount $first.Count
        Get-Content (Join-Path $out 'root-ca.pem') -Raw | Should -Not -Be $before
    }

    It 'writes nothing with -WhatIf' {
        New-CasbSampleCertificate $out -WhatIf | Should -BeNullOrEmpty

        Test-Path $out | Should -BeFalse
    }

    It 'resolves a relative output path against the current location' {
        New-Item -ItemType Directory -Path $out | Out-Null
        Push-Location $out
        try { $files = New-CasbSampleCertificate 'lab' }
        finally { Pop-Location }

        $files[0].Path | Should -Be (Join-Path $out 'lab' 'root-ca.pem')
    }

    It 'shows a table of name, kind and description by default' {
        $text = $sharedFiles | Out-String -Width 250

        $text | Should -Match 'Name\s+Kind\s+Description'
        $text | Should -Match 'gateway\.pfx\s+ServerCertificate\s+Gateway TLS certificate'
    }

    It 'has help with a synopsis, a description, examples and documented parameters' {
        $help = Get-Help New-CasbSampleCertificate -Full

        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '^\s*New-CasbSampleCertificate'
        $help.description.Text | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        foreach ($parameter in $help.parameters.parameter) {
            $parameter.description.Text | Should -Not -BeNullOrEmpty -Because "-$($parameter.name) needs a description"
        }
    }
}
