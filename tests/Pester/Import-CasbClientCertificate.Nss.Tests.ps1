# Import-CasbClientCertificate into NSS databases, where Chromium and Firefox look on Linux. Needs NSS's pk12util and
# certutil (Debian: libnss3-tools, which .ci/run installs); without them these tests are skipped on a developer
# machine and fail in CI (CI=true).
BeforeDiscovery {
    $nssTools = [bool]((Get-Command pk12util -ErrorAction Ignore) -and (Get-Command certutil -ErrorAction Ignore))
    $skipNss = -not $nssTools -and $env:CI -ne 'true'
}

BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    $lab = Join-Path $TestDrive 'lab'
    $password = 'Lab-Passw0rd'
    $securePassword = ConvertTo-SecureString $password -AsPlainText -Force
    $pki = [CasbCore.Certificates.LabPki]::Create()
    $null = $pki.WriteTo($lab, $password)
    $fixtures = Join-Path $PSScriptRoot '../Fixtures'

    # What NSS itself says is in the database: nickname and trust flags per certificate, and the private keys.
    function Get-NssCertificate([string] $Database) {
        $lines = & certutil -L -d "sql:$Database"
        if ($LASTEXITCODE -ne 0) { throw "certutil -L failed: $lines" }
        foreach ($line in $lines | Select-Object -Skip 4) {
            if ($line -match '^(?<nickname>.+?)\s{2,}(?<trust>[A-Za-z]*,[A-Za-z]*,[A-Za-z]*)\s*$') {
                [pscustomobject]@{ Nickname = $Matches.nickname; Trust = $Matches.trust }
            }
        }
    }

    function Get-NssKeyCount([string] $Database) {
        $empty = Join-Path $TestDrive 'empty.pw'
        Set-Content -Path $empty -Value $null -NoNewline
        @(& certutil -K -d "sql:$Database" -f $empty 2>$null | Where-Object { $_ -match '^<\s*\d+>' }).Count
    }

    function New-DatabasePath { Join-Path $TestDrive ('nssdb-' + [guid]::NewGuid()) }

    function Export-Pem([Security.Cryptography.X509Certificates.X509Certificate2] $Certificate, [string] $Name) {
        $file = Join-Path $TestDrive $Name
        Set-Content -Path $file -Value $Certificate.ExportCertificatePem()
        $file
    }
}

AfterAll {
    $pki.Dispose()
}

Describe 'Import-CasbClientCertificate into an NSS database' -Skip:$skipNss {
    Context 'imports' {
        It 'imports a PFX with its private key into -NssDatabase, creating a private database without a password' {
            $db = New-DatabasePath

            $c = Import-CasbClientCertificate (Join-Path $lab 'client.pfx') -Password $securePassword -NssDatabase $db

            $c.Thumbprint | Should -Be $pki.Client.Thumbprint
            $c.HasPrivateKey | Should -BeFalse -Because 'the key went to the NSS database, not to this session'
            $entries = @(Get-NssCertificate $db)
            $entries.Count | Should -Be 1 -Because 'only the keyed certificate is imported, not the CAs bundled in the PFX'
            $entries[0].Trust | Should -Be 'u,u,u'
            Get-NssKeyCount $db | Should -Be 1
            if ($IsLinux) { (Get-Item $db).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute') }
        }

        It 'imports into ~/.pki/nssdb with -CertStoreLocation Nss:' {
            $isolatedHome = Join-Path $TestDrive ('home-' + [guid]::NewGuid())
            New-Item -ItemType Directory -Path $isolatedHome | Out-Null
            $saved = $env:HOME
            $env:HOME = $isolatedHome
            try {
                Import-CasbClientCertificate (Join-Path $lab 'client.pfx') -Password $securePassword -CertStoreLocation Nss: | Out-Null
            }
            finally { $env:HOME = $saved }

            @(Get-NssCertificate (Join-Path $isolatedHome '.pki/nssdb')).Trust | Should -Be @('u,u,u')
        }

        It 'imports the legacy RC2-40 / 3DES / SHA-1 PFX (re-exported in memory for pk12util)' {
            $db = New-DatabasePath
            $legacy = [Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadCertificateFromFile((Join-Path $fixtures 'legacy-rc2-40-client.pem'))

            $c = Import-CasbClientCertificate (Join-Path $fixtures 'legacy-rc2-40.pfx') -Password (ConvertTo-SecureString 'Microsoft' -AsPlainText -Force) -NssDatabase $db

            $c.Thumbprint | Should -Be $legacy.Thumbprint
            @(Get-NssCertificate $db).Count | Should -Be 1
            Get-NssKeyCount $db | Should -Be 1
        }

        It 'trusts a CA for server authentication (C,,), a self-signed server certificate as a peer (P,,), and adds a CA untrusted without the switch' {
            $db = New-DatabasePath
            $serverRequest = [Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=localhost', [Security.Cryptography.ECDsa]::Create(), 'SHA256')
            $serverRequest.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($false, $false, 0, $true))
            $server = $serverRequest.CreateSelfSigned([DateTimeOffset]::UtcNow.AddMinutes(-5), [DateTimeOffset]::UtcNow.AddDays(30))

            Import-CasbClientCertificate (Join-Path $lab 'root-ca.pem') -NssDatabase $db -TrustServerAuthentication | Out-Null
            Import-CasbClientCertificate (Export-Pem $server 'server.pem') -NssDatabase $db -TrustServerAuthentication | Out-Null
            Import-CasbClientCertificate (Join-Path $lab 'intermediate-ca.pem') -NssDatabase $db | Out-Null

            $entries = Get-NssCertificate $db
            ($entries | Where-Object Nickname -Like "Casb Lab Root CA*").Trust | Should -Be 'C,,'
            ($entries | Where-Object Nickname -Like "localhost*").Trust | Should -Be 'P,,'
            ($entries | Where-Object Nickname -Like "Casb Lab Issuing CA*").Trust | Should -Be ',,'
        }

        It 'replaces the trust of a certificate the database already has' {
            $db = New-DatabasePath
            Import-CasbClientCertificate (Join-Path $lab 'root-ca.pem') -NssDatabase $db | Out-Null
            Import-CasbClientCertificate (Join-Path $lab 'root-ca.pem') -NssDatabase $db -TrustServerAuthentication | Out-Null

            @(Get-NssCertificate $db).Trust | Should -Be @('C,,')
        }

        It 'accepts the database as NSS tools name it (sql:<folder>)' {
            $db = New-DatabasePath

            Import-CasbClientCertificate (Join-Path $lab 'root-ca.pem') -NssDatabase "sql:$db" -TrustServerAuthentication | Out-Null

            @(Get-NssCertificate $db).Trust | Should -Be @('C,,')
        }

        It 'creates and imports nothing with -WhatIf' {
            $db = New-DatabasePath

            $c = Import-CasbClientCertificate (Join-Path $lab 'client.pfx') -Password $securePassword -NssDatabase $db -WhatIf

            $c | Should -BeNullOrEmpty
            Test-Path $db | Should -BeFalse
        }
    }

    Context 'refusals' {
        It 'refuses a wrong password with PfxPasswordInvalid before touching the database' {
            $db = New-DatabasePath

            { Import-CasbClientCertificate (Join-Path $lab 'client.pfx') -Password (ConvertTo-SecureString 'wrong' -AsPlainText -Force) -NssDatabase $db } |
                Should -Throw -ErrorId 'PfxPasswordInvalid,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
            Test-Path $db | Should -BeFalse
        }

        It 'names the package when pk12util and certutil are missing (NssToolsMissing)' {
            $empty = New-Item -ItemType Directory -Path (Join-Path $TestDrive ('bin-' + [guid]::NewGuid()))
            $saved = $env:PATH
            $env:PATH = $empty.FullName
            try {
                $err = { Import-CasbClientCertificate (Join-Path $lab 'client.pfx') -Password $securePassword -NssDatabase (New-DatabasePath) } |
                    Should -Throw -ErrorId 'NssToolsMissing,CasbModule.Cmdlets.ImportCasbClientCertificateCommand' -PassThru
            }
            finally { $env:PATH = $saved }
            $err.Exception.Message | Should -BeLike '*libnss3-tools*'
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'reports NssDatabaseUnusable for <Case>' -TestCases @(
            @{ Case = 'a file where the folder should be'; Prepare = { param($db) Set-Content -Path $db -Value 'x' } }
            @{ Case = 'a damaged database'; Prepare = { param($db) New-Item -ItemType Directory -Path $db | Out-Null; Set-Content -Path (Join-Path $db 'cert9.db') -Value 'garbage' } }
            @{ Case = 'a database protected by a password'; Prepare = {
                    param($db)
                    New-Item -ItemType Directory -Path $db | Out-Null
                    $pw = Join-Path $TestDrive 'db-password'
                    Set-Content -Path $pw -Value 'S3cret!' -NoNewline
                    & certutil -N -d "sql:$db" -f $pw | Out-Null
                } }
        ) {
            $db = New-DatabasePath
            & $Prepare $db

            { Import-CasbClientCertificate (Join-Path $lab 'client.pfx') -Password $securePassword -NssDatabase $db } |
                Should -Throw -ErrorId 'NssDatabaseUnusable,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
        }

        It 'refuses -TrustServerAuthentication for <Case> (TrustServerAuthenticationNotApplicable)' -TestCases @(
            @{ Case = 'a certificate store'; File = 'root-ca.pem'; Nss = $false }
            @{ Case = 'a PFX'; File = 'client.pfx'; Nss = $true }
        ) {
            $db = New-DatabasePath
            $target = if ($Nss) { @{ NssDatabase = $db } } else { @{ CertStoreLocation = 'Cert:\CurrentUser\Root' } }

            { Import-CasbClientCertificate (Join-Path $lab $File) -Password $securePassword -TrustServerAuthentication @target } |
                Should -Throw -ErrorId 'TrustServerAuthenticationNotApplicable,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
            Test-Path $db | Should -BeFalse
        }

        It 'refuses a client certificate file without its key (NotACertificateAuthority), with or without -TrustServerAuthentication' {
            $db = New-DatabasePath
            { Import-CasbClientCertificate (Join-Path $lab 'client.pem') -NssDatabase $db } |
                Should -Throw -ErrorId 'NotACertificateAuthority,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
            { Import-CasbClientCertificate (Join-Path $lab 'client.pem') -NssDatabase $db -TrustServerAuthentication } |
                Should -Throw -ErrorId 'NotACertificateAuthority,CasbModule.Cmdlets.ImportCasbClientCertificateCommand'
        }
    }

    # Stand-in pk12util/certutil that record how they were called: secrets must never be on a command line (anyone
    # can read those with ps), and the password file must be private and gone afterwards.
    It 'passes no password on the command line; the one-time password file is private and deleted' -Skip:(-not $IsLinux) {
        $bin = New-Item -ItemType Directory -Path (Join-Path $TestDrive ('fake-nss-' + [guid]::NewGuid()))
        $log = Join-Path $TestDrive ('calls-' + [guid]::NewGuid() + '.log')
        Set-Content -Path (Join-Path $bin 'certutil') -Value "#!/bin/sh`necho certutil `"`$@`" >> '$log'`nexit 0`n"
        Set-Content -Path (Join-Path $bin 'pk12util') -Value @"
#!/bin/sh
echo pk12util "`$@" >> '$log'
while [ `$# -gt 0 ]; do
  case "`$1" in
    -w) echo "pfx-password-file `$2 mode `$(stat -c %a "`$2") dir-mode `$(stat -c %a "`$(dirname "`$2")") content `$(cat "`$2")" >> '$log';;
    -i) echo "pfx-file mode `$(stat -c %a "`$2")" >> '$log';;
  esac
  shift
done
exit 0
"@
        & chmod +x (Join-Path $bin 'certutil') (Join-Path $bin 'pk12util')
        $saved = $env:PATH
        $env:PATH = "$($bin.FullName)$([IO.Path]::PathSeparator)$saved"
        try {
            Import-CasbClientCertificate (Join-Path $lab 'client.pfx') -Password $securePassword -NssDatabase (New-DatabasePath) | Out-Null
        }
        finally { $env:PATH = $saved }

        $calls = Get-Content $log
        ($calls | Where-Object { $_ -like 'pk12util *' -or $_ -like 'certutil *' }) -join "`n" | Should -Not -Match ([regex]::Escape($password))
        $file = $calls | Where-Object { $_ -like 'pfx-password-file *' }
        $file | Should -Match ' mode 600 dir-mode 700 content [0-9A-F]{48}$'
        $file | Should -Not -Match ([regex]::Escape($password)) -Because 'pk12util gets a one-time password for a PFX re-exported in memory'
        ($calls | Where-Object { $_ -like 'pfx-file *' }) | Should -Be 'pfx-file mode 600'
        Test-Path ($file -split ' ')[1] | Should -BeFalse
    }
}
