BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    $lab = Join-Path $TestDrive 'lab'
    $password = 'Lab-Passw0rd'
    $securePassword = ConvertTo-SecureString $password -AsPlainText -Force
    $pki = [CasbCore.Certificates.LabPki]::Create()
    $null = $pki.WriteTo($lab, $password)

    # Imports that succeed run in a child pwsh whose HOME is under $TestDrive: on Linux .NET keeps the CurrentUser
    # stores under $HOME/.dotnet/corefx, so nothing reaches the real user's store. Returns the child's JSON.
    function Invoke-InIsolatedHome {
        param([Parameter(Mandatory)][string] $Script)
        $isolatedHome = Join-Path $TestDrive ('home-' + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $isolatedHome | Out-Null
        $self = (Get-Process -Id $PID).Path
        $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($self) -ne 'pwsh') { Join-Path $PSHOME 'pwsh.dll' })
        $command = "`$ErrorActionPreference = 'Stop'; Import-Module '$env:CASB_MODULE_MANIFEST'; " +
            "function Get-StoreContent([string] `$Name) { `$s = [Security.Cryptography.X509Certificates.X509Store]::new(`$Name, 'CurrentUser'); `$s.Open('ReadOnly'); try { @(`$s.Certificates | ForEach-Object { [pscustomobject]@{ Thumbprint = `$_.Thumbprint; HasPrivateKey = `$_.HasPrivateKey } }) } finally { `$s.Dispose() } }; " +
            $Script
        $savedHome = $env:HOME
        $env:HOME = $isolatedHome
        try {
            $output = & $self @prefix -NoProfile -NonInteractive -Command $command 2>&1
        }
        finally {
            $env:HOME = $savedHome
        }
        if ($LASTEXITCODE -ne 0) { throw "The isolated pwsh failed ($LASTEXITCODE): $($output -join "`n")" }
        # The JSON is the last line; -WhatIf messages and the like come before it.
        return ($output | Select-Object -Last 1) | ConvertFrom-Json
    }

    # A PFX in the legacy format of Microsoft's SampleClientCert.pfx (RC2-40 certificate bags, 3DES key, SHA-1 MAC),
    # committed because .NET cannot write that format (tests/Fixtures/README.md says how it was made).
    $fixtures = Join-Path $PSScriptRoot '../Fixtures'
    $legacyPfx = Join-Path $fixtures 'legacy-rc2-40.pfx'
    $legacyThumbprint = [Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadCertificateFromFile(
        (Join-Path $fixtures 'legacy-rc2-40-client.pem')).Thumbprint
}

AfterAll {
    # HOME isolates the .NET stores on Linux only; elsewhere the imports reached the real CurrentUser\My: take them out.
    if (-not $IsLinux) {
        $store = [Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
        $store.Open('ReadWrite')
        try {
            foreach ($thumbprint in $pki.Client.Thumbprint, $pki.ServerAuthOnlyClient.Thumbprint, $legacyThumbprint) {
                $store.Certificates.Find('FindByThumbprint', $thumbprint, $false) | ForEach-Object { $store.Remove($_) }
            }
        }
        finally { $store.Dispose() }
    }
    $pki.Dispose()
}

Describe 'Import-CasbClientCertificate' {
    Context 'imports (in an isolated certificate store)' {
        It 'imports a PFX with its private key into Cert:\CurrentUser\My by default and returns the certificate' {
            $result = Invoke-InIsolatedHome @"
`$c = Import-CasbClientCertificate -FilePath '$lab/client.pfx' -Password (ConvertTo-SecureString '$password' -AsPlainText -Force)
[pscustomobject]@{ Type = `$c.GetType().FullName; Thumbprint = `$c.Thumbprint; HasPrivateKey = `$c.HasPrivateKey; My = Get-StoreContent My } | ConvertTo-Json -Depth 4 -Compress
"@
            $result.Type | Should -Be 'System.Security.Cryptography.X509Certificates.X509Certificate2'
            $result.Thumbprint | Should -Be $pki.Client.Thumbprint
            $result.HasPrivateKey | Should -BeTrue
            @($result.My).Thumbprint | Should -Be @($pki.Client.Thumbprint)
            @($result.My)[0].HasPrivateKey | Should -BeTrue
        }

        It 'imports a client certificate without the clientAuth extended key usage with a warning naming it and what the gateway will do' {
            $result = Invoke-InIsolatedHome @"
`$c = Import-CasbClientCertificate -FilePath '$lab/server-auth-only.pfx' -Password (ConvertTo-SecureString '$password' -AsPlainText -Force) -WarningVariable w -WarningAction SilentlyContinue
`$null = Import-CasbClientCertificate -FilePath '$lab/client.pfx' -Password (ConvertTo-SecureString '$password' -AsPlainText -Force) -WarningVariable good -WarningAction SilentlyContinue
[pscustomobject]@{ Thumbprint = `$c.Thumbprint; Warnings = @(`$w | ForEach-Object { `$_.Message }); GoodWarnings = @(`$good).Count; My = Get-StoreContent My } | ConvertTo-Json -Depth 4 -Compress
"@
            $result.Thumbprint | Should -Be $pki.ServerAuthOnlyClient.Thumbprint
            @($result.My).Thumbprint | Should -Contain $pki.ServerAuthOnlyClient.Thumbprint
            @($result.Warnings).Count | Should -Be 1
            $warning = @($result.Warnings)[0]
            $warning | Should -BeLike "*'$($pki.ServerAuthOnlyClient.Subject)' ($($pki.ServerAuthOnlyClient.Thumbprint))*"
            $warning | Should -BeLike '*the CASB gateway will block every request that presents it (reason NoClientAuthentication)*'
            # The words Test-CasbClientCertificate reports for the same certificate.
            $reported = ($pki.ServerAuthOnlyClient | Test-CasbClientCertificate -StorePath (Join-Path $TestDrive 'eku-store')).Failures |
                Where-Object Reason -eq 'NoClientAuthentication'
            $warning | Should -BeLike "*$($reported.Message)"
            $result.GoodWarnings | Should -Be 0
        }

        It 'warns under -WhatIf too, and imports nothing' {
            $result = Invoke-InIsolatedHome @"
`$null = Import-CasbClientCertificate -FilePath '$lab/server-auth-only.pfx' -Password (ConvertTo-SecureString '$password' -AsPlainText -Force) -WhatIf -WarningVariable w -WarningAction SilentlyContinue
[pscustomobject]@{ Warnings = @(`$w | ForEach-Object { `$_.Message }); My = Get-StoreContent My } | ConvertTo-Json -Depth 4 -Compress
"@
            @($result.Warnings).Count | Should -Be 1
            $result.My | Should -BeNullOrEmpty
        }

        It 'reads a legacy RC2-40 / 3DES / SHA-1 PFX such as Microsoft''s SampleClientCert.pfx, with -Exportable' {
            $result = Invoke-InIsolatedHome @"
`$c = Import-CasbClientCertificate '$legacyPfx' -Password (ConvertTo-SecureString 'Microsoft' -AsPlainText -Force) -Exportable -CertStoreLocation 'Cert:/CurrentUser/My'
[pscustomobject]@{ Thumbprint = `$c.Thumbprint; HasPrivateKey = `$c.HasPrivateKey; My = Get-StoreContent My } | ConvertTo-Json -Depth 4 -Compress
"@
            $result.Thumbprint | Should -Be $legacyThumbprint
            $result.HasPrivateKey | Should -BeTrue
            @($result.My).Thumbprint | Should -Be @($legacyThumbprint)
        }

        # Only where HOME isolates the store: Windows asks the user to confirm every new root, macOS needs admin trust.
        It 'imports a root CA file into Cert:\CurrentUser\Root' -Skip:(-not $IsLinux) {
            $result = Invoke-InIsolatedHome @"
`$c = Import-CasbClientCertificate '$lab/root-ca.pem' -CertStoreLocation 'Cert:\CurrentUser\Root'
[pscustomobject]@{ Thumbprint = `$c.Thumbprint; Root = Get-StoreContent Root; My = Get-StoreContent My } | ConvertTo-Json -Depth 4 -Compress
"@
            $result.Thumbprint | Should -Be $pki.Root.Thumbprint
            @($result.Root).Thumbprint | Should -Be @($pki.Root.Thumbprint)
            $result.My | Should -BeNullOrEmpty
        }

        It 'reports one bad file of a pipeline as an error and still imports the others' -Skip:(-not $IsLinux) {
            $result = Invoke-InIsolatedHome @"
`$errors = @()
'$lab/client.pem', '$lab/missing.pem', '$lab/root-ca.pem' | ForEach-Object { [pscustomobject]@{ FullName = `$_ } } | Import-CasbClientCertificate -CertStoreLocation Cert:\CurrentUser\Root -ErrorAction SilentlyContinue -ErrorVariable +errors | Out-Null
[pscustomobject]@{ Errors = @(`$errors | ForEach-Object FullyQualifiedErrorId); Root = Get-StoreContent Root } | ConvertTo-Json -Depth 4 -Compress
"@
            $result.Errors | Should -Be @(
                'NotACertificateAuthority,CasbModule.Cmdlets.ImportCasbClientCertificateCommand',
                'CertificateFileNotFound,CasbModule.Cmdlets.ImportCasbClientCertificateCommand')
            @($result.Root).Thumbprint | Should -Be @($pki.Root.Thumbprint)
        }

        It 'imports nothing with -WhatIf' {
            $result = Invoke-InIsolatedHome @"
`$c = Import-CasbClientCertificate '$lab/client.pfx' -Password (ConvertTo-SecureString '$password' -AsPlainText -Force) -WhatIf
[pscustomobject]@{ Output = @(`$c).Count; My = Get-StoreContent My } | ConvertTo-Json -Depth 4 -Compress
"@
            $result.Output | Should -Be 0
            $result.My | Should -BeNullOrEmpty
        }
    }

    Context 'refusals (checked before any store is opened)' {
        It 'refuses a wrong password with PfxPasswordInvalid' {
            { Import-CasbClientCertificate (Join-Path $lab 'client.pfx') -Password (ConvertTo-SecureString 'wrong' -AsPlainText -Force) } |
                Should -Throw -ErrorId 'PfxPasswordInvalid,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
        }

        It 'refuses a PFX without a private key with PfxHasNoPrivateKey' {
            $file = Join-Path $TestDrive 'no-key.pfx'
            [IO.File]::WriteAllBytes($file, $pki.Root.ExportPkcs12([Security.Cryptography.X509Certificates.Pkcs12ExportPbeParameters]::Pbes2Aes256Sha256, $password))

            { Import-CasbClientCertificate $file -Password $securePassword } |
                Should -Throw -ErrorId 'PfxHasNoPrivateKey,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
        }

        It 'refuses a public certificate file for the My store with PfxHasNoPrivateKey' {
            { Import-CasbClientCertificate (Join-Path $lab 'client.pem') } |
                Should -Throw -ErrorId 'PfxHasNoPrivateKey,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
        }

        It 'refuses a CA certificate offered as a client certificate with NotAClientCertificate' {
            $file = Join-Path $TestDrive 'issuing-ca.pfx'
            [IO.File]::WriteAllBytes($file, $pki.IntermediateWithKey.ExportPkcs12([Security.Cryptography.X509Certificates.Pkcs12ExportPbeParameters]::Pbes2Aes256Sha256, $password))

            { Import-CasbClientCertificate $file -Password $securePassword } |
                Should -Throw -ErrorId 'NotAClientCertificate,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
        }

        It 'refuses a client certificate offered to the Root store with NotACertificateAuthority' {
            { Import-CasbClientCertificate (Join-Path $lab 'client.pem') -CertStoreLocation Cert:\CurrentUser\Root } |
                Should -Throw -ErrorId 'NotACertificateAuthority,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
        }

        It 'reports a missing file with CertificateFileNotFound' {
            { Import-CasbClientCertificate (Join-Path $TestDrive 'none.pfx') } |
                Should -Throw -ErrorId 'CertificateFileNotFound,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
        }

        It 'reports a file that is no certificate with CertificateUnreadable' {
            $file = Join-Path $TestDrive 'garbage.pfx'
            Set-Content -Path $file -Value 'not a pfx'

            { Import-CasbClientCertificate $file -CertStoreLocation Cert:\CurrentUser\Root } |
                Should -Throw -ErrorId 'CertificateUnreadable,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
        }

        It 'refuses an unknown store location <Location> with InvalidCertStoreLocation' -TestCases @(
            @{ Location = 'Cert:\Somewhere\My' }
            @{ Location = 'Cert:\CurrentUser\Mine' }
            @{ Location = 'C:\certs' }
        ) {
            { Import-CasbClientCertificate (Join-Path $lab 'client.pfx') -Password $securePassword -CertStoreLocation $Location } |
                Should -Throw -ErrorId 'InvalidCertStoreLocation,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
        }

        It 'says that LocalMachine stores are read-only on Linux and suggests CurrentUser' -Skip:(-not $IsLinux) {
            $err = { Import-CasbClientCertificate (Join-Path $lab 'client.pfx') -Password $securePassword -CertStoreLocation Cert:\LocalMachine\My } |
                Should -Throw -ErrorId 'CertStoreReadOnly,CasbModule.Cmdlets.ImportCasbClientCertificateCommand' -PassThru
            $err.Exception.Message | Should -BeLike '*read-only on Linux*Cert:\CurrentUser\My*'
        }
    }

    It 'has help with a synopsis, a description, examples and documented parameters' {
        $help = Get-Help Import-CasbClientCertificate -Full

        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '^\s*Import-CasbClientCertificate'
        $help.description.Text | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        foreach ($parameter in $help.parameters.parameter) {
            $parameter.description.Text | Should -Not -BeNullOrEmpty -Because "-$($parameter.name) needs a description"
        }
    }
}
