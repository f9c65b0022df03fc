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

# .NET's signature generators refuse SHA-1; legacy CAs signed with it. Certificates and CRLs for the weak-signature tests.
class Sha1RsaSignatureGenerator : System.Security.Cryptography.X509Certificates.X509SignatureGenerator {
    [System.Security.Cryptography.RSA] $Key
    Sha1RsaSignatureGenerator([System.Security.Cryptography.RSA] $key) { $this.Key = $key }
    [byte[]] GetSignatureAlgorithmIdentifier([System.Security.Cryptography.HashAlgorithmName] $hash) {
        # SEQUENCE { sha1WithRSAEncryption, NULL }
        return [byte[]](0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05, 0x05, 0x00)
    }
    [byte[]] SignData([byte[]] $data, [System.Security.Cryptography.HashAlgorithmName] $hash) {
        return $this.Key.SignData($data, [System.Security.Cryptography.HashAlgorithmName]::SHA1, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    }
    hidden [System.Security.Cryptography.X509Certificates.PublicKey] BuildPublicKey() {
        return [System.Security.Cryptography.X509Certificates.PublicKey]::new($this.Key)
    }
}

# A CA (self-signed unless -Issuer) with its key; -Ekus adds an EKU extension, -PermittedEmail a name constraint.
function New-TestCa {
    param([string] $Subject, [string[]] $Ekus, [string[]] $PermittedEmail)
    $key = [Security.Cryptography.RSA]::Create(2048)
    $request = [Security.Cryptography.X509Certificates.CertificateRequest]::new(
        $Subject, $key, [Security.Cryptography.HashAlgorithmName]::SHA256, [Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
    $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('KeyCertSign, CrlSign, DigitalSignature', $true))
    if ($Ekus) {
        $oids = [Security.Cryptography.OidCollection]::new()
        foreach ($eku in $Ekus) { $null = $oids.Add([Security.Cryptography.Oid]::new($eku)) }
        $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($oids, $false))
    }
    if ($PermittedEmail) {
        # NameConstraints ::= SEQUENCE { permittedSubtrees [0] SEQUENCE OF SEQUENCE { rfc822Name [1] IA5String } }
        $writer = [Formats.Asn1.AsnWriter]::new([Formats.Asn1.AsnEncodingRules]::DER)
        $null = $writer.PushSequence()
        $null = $writer.PushSequence([Formats.Asn1.Asn1Tag]::new([Formats.Asn1.TagClass]::ContextSpecific, 0, $true))
        foreach ($name in $PermittedEmail) {
            $null = $writer.PushSequence()
            $writer.WriteCharacterString([Formats.Asn1.UniversalTagNumber]::IA5String, $name, [Formats.Asn1.Asn1Tag]::new([Formats.Asn1.TagClass]::ContextSpecific, 1))
            $writer.PopSequence()
        }
        $writer.PopSequence([Formats.Asn1.Asn1Tag]::new([Formats.Asn1.TagClass]::ContextSpecific, 0, $true))
        $writer.PopSequence()
        $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509Extension]::new('2.5.29.30', $writer.Encode(), $true))
    }
    $now = [DateTimeOffset]::UtcNow
    $request.CreateSelfSigned($now.AddDays(-1), $now.AddYears(1))
}

# A client certificate issued by -Issuer (default: the lab intermediate): RSA of -KeyBits, SHA-1 signed with -Sha1,
# keyCertSign with -KeyCertSign, the user principal name -Upn (any string, also a malformed one).
function New-TestClientCertificate {
    param(
        [Security.Cryptography.X509Certificates.X509Certificate2] $Issuer = $script:Pki.IntermediateWithKey,
        [string] $Subject = 'CN=Pester Device, O=Fabrikam',
        [int] $KeyBits = 2048,
        [switch] $Sha1,
        [switch] $KeyCertSign,
        [string] $Upn = 'vendor@contoso.com')
    $key = [Security.Cryptography.RSA]::Create($KeyBits)
    $request = [Security.Cryptography.X509Certificates.CertificateRequest]::new(
        $Subject, $key, [Security.Cryptography.HashAlgorithmName]::SHA256, [Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($false, $false, 0, $true))
    $usage = if ($KeyCertSign) { 'DigitalSignature, KeyCertSign' } else { 'DigitalSignature, KeyEncipherment' }
    $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new($usage, $true))
    $oids = [Security.Cryptography.OidCollection]::new()
    $null = $oids.Add([Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.2'))
    $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($oids, $false))
    $san = [Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $san.AddUserPrincipalName($Upn)
    $request.CertificateExtensions.Add($san.Build())
    $issuerKey = [Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Issuer)
    $generator = if ($Sha1) { [Sha1RsaSignatureGenerator]::new($issuerKey) }
                 else { [Security.Cryptography.X509Certificates.X509SignatureGenerator]::CreateForRSA($issuerKey, [Security.Cryptography.RSASignaturePadding]::Pkcs1) }
    $now = [DateTimeOffset]::UtcNow
    $serial = [byte[]](1..16 | ForEach-Object { Get-Random -Minimum 1 -Maximum 127 })
    $request.Create($Issuer.SubjectName, $generator, $now.AddDays(-1), $now.AddDays(30), $serial)
}

# A CRL of the lab intermediate written with AsnWriter (the BCL builder cannot make these): -CriticalCrlNumber marks
# the CRL number critical, which RFC 5280 forbids; -Sha1 signs it with SHA-1; -BaseNumber makes it a delta CRL (a critical
# Delta CRL Indicator naming that BaseCRLNumber). Returns the path of the DER file.
function New-TestRawCrlFile {
    param([string] $Name, [int] $Number = 7, [switch] $CriticalCrlNumber, [switch] $Sha1, [Nullable[int]] $BaseNumber)
    $key = [Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($script:Pki.IntermediateWithKey)
    $generator = if ($Sha1) { [Sha1RsaSignatureGenerator]::new($key) }
                 else { [Security.Cryptography.X509Certificates.X509SignatureGenerator]::CreateForRSA($key, [Security.Cryptography.RSASignaturePadding]::Pkcs1) }
    $algorithm = $generator.GetSignatureAlgorithmIdentifier([Security.Cryptography.HashAlgorithmName]::SHA256)
    $now = [DateTimeOffset]::UtcNow
    $context0 = [Formats.Asn1.Asn1Tag]::new([Formats.Asn1.TagClass]::ContextSpecific, 0, $true)

    $tbs = [Formats.Asn1.AsnWriter]::new([Formats.Asn1.AsnEncodingRules]::DER)
    $null = $tbs.PushSequence()
    $tbs.WriteInteger(1)
    $tbs.WriteEncodedValue($algorithm)
    $tbs.WriteEncodedValue($script:Pki.Intermediate.SubjectName.RawData)
    $tbs.WriteUtcTime($now.AddMinutes(-1))
    $tbs.WriteUtcTime($now.AddDays(7))
    $null = $tbs.PushSequence($context0)
    $null = $tbs.PushSequence()
    $null = $tbs.PushSequence()
    $tbs.WriteObjectIdentifier('2.5.29.20')
    if ($CriticalCrlNumber) { $tbs.WriteBoolean($true) }
    $crlNumber = [Formats.Asn1.AsnWriter]::new([Formats.Asn1.AsnEncodingRules]::DER)
    $crlNumber.WriteInteger($Number)
    $tbs.WriteOctetString($crlNumber.Encode())
    $tbs.PopSequence()
    if ($null -ne $BaseNumber) {
        $null = $tbs.PushSequence()
        $tbs.WriteObjectIdentifier('2.5.29.27')
        $tbs.WriteBoolean($true)
        $indicator = [Formats.Asn1.AsnWriter]::new([Formats.Asn1.AsnEncodingRules]::DER)
        $indicator.WriteInteger([int] $BaseNumber)
        $tbs.WriteOctetString($indicator.Encode())
        $tbs.PopSequence()
    }
    $tbs.PopSequence()
    $tbs.PopSequence($context0)
    $tbs.PopSequence()
    $toBeSigned = $tbs.Encode()

    $crl = [Formats.Asn1.AsnWriter]::new([Formats.Asn1.AsnEncodingRules]::DER)
    $null = $crl.PushSequence()
    $crl.WriteEncodedValue($toBeSigned)
    $crl.WriteEncodedValue($algorithm)
    $crl.WriteBitString($generator.SignData($toBeSigned, [Security.Cryptography.HashAlgorithmName]::SHA256))
    $crl.PopSequence()
    $path = Join-Path $TestDrive $Name
    [IO.File]::WriteAllBytes($path, $crl.Encode())
    $path
}
