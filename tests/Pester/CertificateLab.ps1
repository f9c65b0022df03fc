# Shared by the certificate cmdlet tests (dot-sourced in BeforeAll): a lab PKI written to files, and helpers.

$script:LabPassword = 'Lab-Passw0rd'
$script:Pki = [CasbCore.Certificates.LabPki]::Create()
$script:LabDir = Join-Path $TestDrive 'lab'
$null = $script:Pki.WriteTo($script:LabDir, $script:LabPassword)
$script:SecurePassword = ConvertTo-SecureString $script:LabPassword -AsPlainText -Force

function New-TestStore {
    Join-Path $TestDrive ([guid]::NewGuid())
}

# Trusts the lab root (and, unless -RootOnly, its intermediate) in a store.
function Add-TestTrustedRoot {
    param([string] $StorePath, [switch] $RootOnly)
    $certificates = @($script:Pki.Root)
    if (-not $RootOnly) { $certificates += $script:Pki.Intermediate }
    $null = Add-CasbTrustedRoot -Certificate $certificates -StorePath $StorePath
}

# A CRL signed by the lab intermediate, written to a file; returns the path.
function New-TestCrlFile {
    param(
        [string] $Name,
        [int] $Number,
        [int] $NextUpdateDays = 7,
        [int] $ThisUpdateDays = 0,
        [Security.Cryptography.X509Certificates.X509Certificate2[]] $Revoked = @(),
        [switch] $Der,
        [switch] $Forged)
    $builder = [Security.Cryptography.X509Certificates.CertificateRevocationListBuilder]::new()
    foreach ($certificate in $Revoked) { $builder.AddEntry($certificate) }
    $now = [DateTimeOffset]::UtcNow
    $signer = $script:Pki.IntermediateWithKey
    if ($Forged) {
        $key = [Security.Cryptography.RSA]::Create(2048)
        $request = [Security.Cryptography.X509Certificates.CertificateRequest]::new(
            $script:Pki.Intermediate.SubjectName, $key, [Security.Cryptography.HashAlgorithmName]::SHA256, [Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
        $signer = $request.CreateSelfSigned($now.AddDays(-1), $now.AddDays(30))
    }
    $bytes = $builder.Build($signer, [Numerics.BigInteger]::new($Number), $now.AddDays($NextUpdateDays),
        [Security.Cryptography.HashAlgorithmName]::SHA256, [Security.Cryptography.RSASignaturePadding]::Pkcs1, $now.AddDays($ThisUpdateDays).AddMinutes(-1))
    $path = Join-Path $TestDrive $Name
    if ($Der) {
        [IO.File]::WriteAllBytes($path, $bytes)
    }
    else {
        Set-Content -Path $path -Value ([Security.Cryptography.PemEncoding]::WriteString('X509 CRL', $bytes)) -Encoding ascii
    }
    $path
}
