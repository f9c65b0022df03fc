BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    # A self-signed certificate with or without CA=true and a chosen validity period, written as PEM.
    function New-TestCertificateFile {
        param([string] $Path, [string] $Subject, [bool] $IsCa = $true, [int] $FromDays = -1, [int] $ToDays = 365)
        $key = [Security.Cryptography.RSA]::Create(2048)
        try {
            $request = [Security.Cryptography.X509Certificates.CertificateRequest]::new(
                $Subject, $key, [Security.Cryptography.HashAlgorithmName]::SHA256, [Security.Cryptography.RSASignaturePadding]::Pkcs1)
            $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($IsCa, $false, 0, $true))
            $now = [DateTimeOffset]::UtcNow
            $certificate = $request.CreateSelfSigned($now.AddDays($FromDays), $now.AddDays($ToDays))
            Set-Content -Path $Path -Value $certificate.ExportCertificatePem() -Encoding ascii
            return $certificate
        }
        finally { $key.Dispose() }
    }

    $lab = Join-Path $TestDrive 'lab'
    $pki = [CasbCore.Certificates.LabPki]::Create()
    $null = $pki.WriteTo($lab, 'Lab-Passw0rd')
    $rootFile = Join-Path $lab 'root-ca.pem'
    $chainFile = Join-Path $lab 'ca-chain.pem'
}

AfterAll {
    $pki.Dispose()
}

Describe 'Add-CasbTrustedRoot' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
    }

    It 'adds a self-signed CA from a PEM file as a Root and returns it' {
        $result = Add-CasbTrustedRoot -Path $rootFile -StorePath $store

        $result | Should -HaveCount 1
        $result.Thumbprint | Should -Be $pki.Root.Thumbprint
        $result.Kind | Should -Be 'Root'
        $result.Subject | Should -Be 'CN=Casb Lab Root CA, O=Casb Lab'
        $result.NotAfter | Should -Be ([DateTimeOffset] $pki.Root.NotAfter)
        $result | Should -BeOfType 'CasbModule.Types.CasbTrustedRoot'
        (Get-CasbTrustedRoot -StorePath $store).Thumbprint | Should -Be $pki.Root.Thumbprint
    }

    It 'adds every certificate of a multi-certificate PEM, the issued one as an Intermediate' {
        $result = Add-CasbTrustedRoot -Path $chainFile -StorePath $store

        $result | Should -HaveCount 2
        ($result | Where-Object Thumbprint -EQ $pki.Intermediate.Thumbprint).Kind | Should -Be 'Intermediate'
        ($result | Where-Object Thumbprint -EQ $pki.Root.Thumbprint).Kind | Should -Be 'Root'
        (Get-CasbGatewaySetting -StorePath $store).Revision | Should -Be 1
    }

    It 'reads DER .cer files' {
        $der = Join-Path $TestDrive 'root.cer'
        [IO.File]::WriteAllBytes($der, $pki.Root.RawData)

        (Add-CasbTrustedRoot -Path $der -StorePath $store).Thumbprint | Should -Be $pki.Root.Thumbprint
    }

    It 'reads PKCS#7 bundles in DER and PEM' {
        $bundle = [Security.Cryptography.X509Certificates.X509Certificate2Collection]::new()
        $null = $bundle.Add($pki.Root); $null = $bundle.Add($pki.Intermediate)
        $p7bytes = $bundle.Export([Security.Cryptography.X509Certificates.X509ContentType]::Pkcs7)
        $p7b = Join-Path $TestDrive 'chain.p7b'
        [IO.File]::WriteAllBytes($p7b, $p7bytes)
        $p7pem = Join-Path $TestDrive 'chain-pem.p7b'
        Set-Content -Path $p7pem -Value ([Security.Cryptography.PemEncoding]::WriteString('PKCS7', $p7bytes)) -Encoding ascii

        (Add-CasbTrustedRoot -Path $p7b -StorePath $store).Thumbprint | Sort-Object |
            Should -Be (@($pki.Root.Thumbprint, $pki.Intermediate.Thumbprint) | Sort-Object)
        $other = Join-Path $TestDrive ([guid]::NewGuid())
        (Add-CasbTrustedRoot -Path $p7pem -StorePath $other) | Should -HaveCount 2
    }

    It 'resolves wildcards and -LiteralPath relative to the current location' {
        Push-Location $lab
        try {
            $result = Add-CasbTrustedRoot -Path './*-ca.pem' -StorePath $store -ErrorAction SilentlyContinue -ErrorVariable errors
            Add-CasbTrustedRoot -LiteralPath 'root-ca.pem' -StorePath $store | Out-Null
        }
        finally { Pop-Location }

        # root-ca.pem, intermediate-ca.pem and untrusted-root-ca.pem
        $result | Should -HaveCount 3
        $errors | Should -HaveCount 0
        (Get-CasbTrustedRoot -StorePath $store) | Should -HaveCount 3
    }

    It 'takes files from Get-ChildItem through the pipeline' {
        $result = Get-ChildItem $lab -Filter '*-ca.pem' | Where-Object Name -NE 'untrusted-root-ca.pem' | Add-CasbTrustedRoot -StorePath $store

        $result.Thumbprint | Sort-Object | Should -Be (@($pki.Root.Thumbprint, $pki.Intermediate.Thumbprint) | Sort-Object)
    }

    It 'accepts certificates from the pipeline' {
        $result = $pki.Root, $pki.Intermediate | Add-CasbTrustedRoot -StorePath $store

        $result | Should -HaveCount 2
        (Get-CasbTrustedRoot -StorePath $store -Kind Intermediate).Thumbprint | Should -Be $pki.Intermediate.Thumbprint
    }

    It 'changes nothing when the same certificate is added again and returns the existing entry' {
        $first = Add-CasbTrustedRoot -Path $rootFile -StorePath $store
        $revision = (Get-CasbGatewaySetting -StorePath $store).Revision
        $bytes = [IO.File]::ReadAllBytes((Join-Path $store 'casb.json'))

        $second = Add-CasbTrustedRoot -Path $rootFile -StorePath $store

        $second.Thumbprint | Should -Be $first.Thumbprint
        $second.AddedAt | Should -Be $first.AddedAt
        (Get-CasbGatewaySetting -StorePath $store).Revision | Should -Be $revision
        [IO.File]::ReadAllBytes((Join-Path $store 'casb.json')) | Should -Be $bytes
    }

    It 'refuses a certificate that is not a CA with NotACertificateAuthority' {
        { Add-CasbTrustedRoot -Path (Join-Path $lab 'client.pem') -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotACertificateAuthority,CasbModule.Cmdlets.AddCasbTrustedRootCommand'
        Test-Path (Join-Path $store 'casb.json') | Should -BeFalse
    }

    It 'refuses an expired CA unless -Force' {
        $file = Join-Path $TestDrive 'expired-ca.pem'
        $expired = New-TestCertificateFile -Path $file -Subject 'CN=Expired CA' -FromDays -100 -ToDays -1

        { Add-CasbTrustedRoot -Path $file -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId 'CertificateAuthorityExpired,CasbModule.Cmdlets.AddCasbTrustedRootCommand'
        (Add-CasbTrustedRoot -Path $file -StorePath $store -Force).Thumbprint | Should -Be $expired.Thumbprint
    }

    It 'refuses a CA that is not yet valid unless -Force' {
        $file = Join-Path $TestDrive 'future-ca.pem'
        $future = New-TestCertificateFile -Path $file -Subject 'CN=Future CA' -FromDays 10 -ToDays 100

        { Add-CasbTrustedRoot -Path $file -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId 'CertificateAuthorityNotYetValid,CasbModule.Cmdlets.AddCasbTrustedRootCommand'
        (Add-CasbTrustedRoot -Path $file -StorePath $store -Force).Thumbprint | Should -Be $future.Thumbprint
    }

    It 'reports one bad file, still adds the good ones, and adds nothing from a file with a bad certificate' {
        $mixed = Join-Path $TestDrive 'mixed.pem'
        Set-Content -Path $mixed -Encoding ascii -Value ((Get-Content (Join-Path $lab 'untrusted-root-ca.pem') -Raw) + (Get-Content (Join-Path $lab 'client.pem') -Raw))

        $result = Add-CasbTrustedRoot -Path $rootFile, $mixed, (Join-Path $lab 'intermediate-ca.pem') -StorePath $store -ErrorAction SilentlyContinue -ErrorVariable errors

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'NotACertificateAuthority,CasbModule.Cmdlets.AddCasbTrustedRootCommand'
        $errors[0].Exception.Message | Should -BeLike "*mixed.pem*"
        $result.Thumbprint | Should -Be @($pki.Root.Thumbprint, $pki.Intermediate.Thumbprint)
        (Get-CasbTrustedRoot -StorePath $store).Thumbprint | Should -Not -Contain $pki.UntrustedRoot.Thumbprint
    }

    It 'reports an unreadable file naming it and why: <Case>' -TestCases @(
        @{ Case = 'empty'; Content = [byte[]]@(); Why = '*empty*' }
        @{ Case = 'garbage text'; Content = [Text.Encoding]::ASCII.GetBytes('hello, not a certificate'); Why = '*neither PEM*' }
        @{ Case = 'truncated DER'; Content = $null; Why = '*truncated*' }
        @{ Case = 'damaged PEM'; Content = [Text.Encoding]::ASCII.GetBytes("-----BEGIN CERTIFICATE-----`nMIIB!!!`n-----END CERTIFICATE-----`n"); Why = '*BEGIN CERTIFICATE*' }
        @{ Case = 'PEM private key'; Content = $null; Why = "*'PRIVATE KEY'*" }
    ) {
        if ($Case -eq 'truncated DER') { $Content = $pki.Root.RawData[0..199] }
        if ($Case -eq 'PEM private key') {
            $rsa = [Security.Cryptography.RSA]::Create(2048)
            $Content = [Text.Encoding]::ASCII.GetBytes($rsa.ExportPkcs8PrivateKeyPem())
            $rsa.Dispose()
        }
        $file = Join-Path $TestDrive "bad-$($Case -replace ' ', '-').cer"
        [IO.File]::WriteAllBytes($file, [byte[]] $Content)

        $err = { Add-CasbTrustedRoot -Path $file -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId 'CertificateUnreadable,CasbModule.Cmdlets.AddCasbTrustedRootCommand' -PassThru
        $err.Exception.Message | Should -BeLike "*$file*"
        $err.Exception.Message | Should -BeLike $Why
    }

    It 'reports a missing file with CertificateFileNotFound' {
        { Add-CasbTrustedRoot -Path (Join-Path $TestDrive 'none.pem') -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId 'CertificateFileNotFound,CasbModule.Cmdlets.AddCasbTrustedRootCommand'
        { Add-CasbTrustedRoot -LiteralPath (Join-Path $TestDrive 'none[1].pem') -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId 'CertificateFileNotFound,CasbModule.Cmdlets.AddCasbTrustedRootCommand'
        { Add-CasbTrustedRoot -Path 'NoSuchDrive:\root.pem' -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId 'CertificateFileNotFound,CasbModule.Cmdlets.AddCasbTrustedRootCommand'
        { Add-CasbTrustedRoot -Path 'Env:\PATH' -StorePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId 'CertificateFileNotFound,CasbModule.Cmdlets.AddCasbTrustedRootCommand'
    }

    It 'writes nothing with -WhatIf' {
        Add-CasbTrustedRoot -Path $chainFile -StorePath $store -WhatIf | Should -BeNullOrEmpty

        Test-Path (Join-Path $store 'casb.json') | Should -BeFalse
    }

    It 'stops with StoreCorrupt on a corrupt store and leaves the file byte-for-byte unchanged' {
        New-Item -ItemType Directory -Path $store | Out-Null
        $file = Join-Path $store 'casb.json'
        Set-Content -Path $file -Value '{ "schemaVersion": 1, "trustedRoots": [ oops'
        $before = [IO.File]::ReadAllBytes($file)

        { Add-CasbTrustedRoot -Path $rootFile -StorePath $store } |
            Should -Throw -ErrorId 'StoreCorrupt,CasbModule.Cmdlets.AddCasbTrustedRootCommand'
        [IO.File]::ReadAllBytes($file) | Should -Be $before
    }

    It 'has help with a synopsis, a description, examples and documented parameters' {
        $help = Get-Help Add-CasbTrustedRoot -Full

        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '^\s*Add-CasbTrustedRoot'
        $help.description.Text | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        foreach ($parameter in $help.parameters.parameter) {
            $parameter.description.Text | Should -Not -BeNullOrEmpty -Because "-$($parameter.name) needs a description"
        }
    }
}
