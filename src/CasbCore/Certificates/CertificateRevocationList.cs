using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CasbCore.Certificates;

/// <summary>One revoked serial number in a CRL.</summary>
public sealed record RevokedCertificate(string SerialNumber, DateTimeOffset RevocationDate, X509RevocationReason? Reason);

/// <summary>
/// A parsed X.509 CRL (RFC 5280 CertificateList), read with <see cref="AsnReader"/>. Immutable; its signature is
/// checked against a CA certificate with <see cref="IsSignedBy"/>.
/// </summary>
public sealed class CertificateRevocationList
{
    private const string CrlNumberOid = "2.5.29.20";
    private const string DeltaCrlIndicatorOid = "2.5.29.27";
    private const string ReasonCodeOid = "2.5.29.21";
    private const string IssuingDistributionPointOid = "2.5.29.28";

    private readonly Dictionary<string, RevokedCertificate> _revoked;
    private readonly byte[] _tbs;
    private readonly byte[] _signature;
    private readonly byte[]? _signatureParameters;
    private readonly CrlScope _scope;

    private CertificateRevocationList(
        byte[] rawData,
        X500DistinguishedName issuer,
        DateTimeOffset thisUpdate,
        DateTimeOffset? nextUpdate,
        BigInteger? crlNumber,
        Dictionary<string, RevokedCertificate> revoked,
        string signatureAlgorithm,
        byte[]? signatureParameters,
        byte[] tbs,
        byte[] signature,
        CrlScope scope)
    {
        _scope = scope;
        RawData = rawData;
        Issuer = issuer;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        CrlNumber = crlNumber;
        _revoked = revoked;
        SignatureAlgorithm = signatureAlgorithm;
        _signatureParameters = signatureParameters;
        _tbs = tbs;
        _signature = signature;
        Id = Convert.ToHexString(SHA256.HashData(rawData));
    }

    /// <summary>The DER encoding.</summary>
    public byte[] RawData { get; }

    /// <summary>SHA-256 of the DER CRL, hex: the store's id for it.</summary>
    public string Id { get; }

    public X500DistinguishedName Issuer { get; }

    public DateTimeOffset ThisUpdate { get; }

    public DateTimeOffset? NextUpdate { get; }

    public BigInteger? CrlNumber { get; }

    /// <summary>The OID of the signature algorithm.</summary>
    public string SignatureAlgorithm { get; }

    public IReadOnlyCollection<RevokedCertificate> RevokedCertificates => _revoked.Values;

    /// <summary>False once <paramref name="at"/> is at or past nextUpdate: the CRL no longer says anything current.</summary>
    public bool IsCurrentAt(DateTimeOffset at) => NextUpdate is null || at < NextUpdate.Value;

    /// <summary>
    /// False when the CRL's issuing distribution point limits it to other certificates (only user or only CA
    /// certificates, only some reasons, indirect or attribute-certificate CRLs): its silence about
    /// <paramref name="certificate"/> then proves nothing.
    /// </summary>
    public bool Covers(X509Certificate2 certificate)
    {
        if (_scope.Partial)
        {
            return false;
        }

        bool isCa = CertificateExtensions.IsCertificateAuthority(certificate);
        return !(_scope.OnlyUserCertificates && isCa) && !(_scope.OnlyCaCertificates && !isCa);
    }

    /// <summary>Finds a serial number (as <see cref="X509Certificate2.SerialNumberBytes"/>, big-endian) in the list.</summary>
    public RevokedCertificate? FindRevoked(ReadOnlySpan<byte> serialNumber) =>
        _revoked.GetValueOrDefault(NormalizeSerial(serialNumber));

    public RevokedCertificate? FindRevoked(X509Certificate2 certificate) =>
        FindRevoked(certificate.SerialNumberBytes.Span);

    /// <summary>True when the CRL names <paramref name="issuer"/>'s subject as its issuer.</summary>
    public bool IsIssuedByName(X509Certificate2 issuer) =>
        issuer.SubjectName.RawData.AsSpan().SequenceEqual(Issuer.RawData)
        || string.Equals(issuer.SubjectName.Name, Issuer.Name, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// True when <paramref name="issuer"/> has the CRL's issuer name, may sign CRLs (keyUsage cRLSign when the
    /// extension is present) and its public key verifies the signature (RSA PKCS#1 v1.5 or PSS, ECDSA).
    /// </summary>
    public bool IsSignedBy(X509Certificate2 issuer)
    {
        if (!IsIssuedByName(issuer))
        {
            return false;
        }

        X509KeyUsageExtension? keyUsage = issuer.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (keyUsage is not null && (keyUsage.KeyUsages & X509KeyUsageFlags.CrlSign) == 0)
        {
            return false;
        }

        try
        {
            return VerifySignature(issuer);
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>Parses a DER CRL or a PEM one ("-----BEGIN X509 CRL-----"). Throws <see cref="CasbException"/> CrlUnreadable.</summary>
    public static CertificateRevocationList Parse(ReadOnlySpan<byte> data, string? source = null)
    {
        string what = source is null ? "The CRL" : $"The CRL '{source}'";
        if (data.IsEmpty)
        {
            throw Unreadable($"{what} is empty.", source);
        }

        byte[] der = data[0] == 0x30 ? data.ToArray() : FromPem(data, what, source);
        try
        {
            return ParseDer(der);
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException or ArgumentException or OverflowException)
        {
            throw Unreadable($"{what} is not a valid X.509 CRL: {ex.Message}", source, ex);
        }
    }

    /// <summary>The normalized (upper-case hex, no leading zero bytes) form of a big-endian serial number.</summary>
    public static string NormalizeSerial(ReadOnlySpan<byte> serialNumber)
    {
        int start = 0;
        while (start < serialNumber.Length - 1 && serialNumber[start] == 0)
        {
            start++;
        }

        return Convert.ToHexString(serialNumber[start..]);
    }

    private static byte[] FromPem(ReadOnlySpan<byte> data, string what, string? source)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(data);
        }
        catch (DecoderFallbackException ex)
        {
            throw Unreadable($"{what} is neither DER (it does not start with a SEQUENCE) nor PEM text.", source, ex);
        }

        ReadOnlySpan<char> remaining = text;
        while (PemEncoding.TryFind(remaining, out PemFields fields))
        {
            ReadOnlySpan<char> label = remaining[fields.Label];
            if (label.SequenceEqual("X509 CRL"))
            {
                byte[] der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(remaining[fields.Base64Data], der, out int written))
                {
                    throw Unreadable($"{what} has a PEM block whose base64 data cannot be decoded.", source);
                }

                return der[..written];
            }

            remaining = remaining[fields.Location.End..];
        }

        throw Unreadable(
            text.Contains("-----BEGIN", StringComparison.Ordinal)
                ? $"{what} contains PEM blocks but none labelled 'X509 CRL'."
                : $"{what} is neither DER (it does not start with a SEQUENCE) nor PEM with an 'X509 CRL' block.",
            source);
    }

    private static CertificateRevocationList ParseDer(byte[] der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        AsnReader certificateList = outer.ReadSequence();
        outer.ThrowIfNotEmpty();

        byte[] tbs = certificateList.PeekEncodedValue().ToArray();
        AsnReader tbsReader = certificateList.ReadSequence();
        (string signatureAlgorithm, byte[]? signatureParameters) = ReadAlgorithmIdentifier(certificateList);
        byte[] signature = certificateList.ReadBitString(out int unusedBits);
        if (unusedBits != 0)
        {
            throw new AsnContentException("The signature BIT STRING has unused bits.");
        }

        certificateList.ThrowIfNotEmpty();

        if (tbsReader.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
        {
            if (!tbsReader.TryReadInt32(out int version) || version != 1)
            {
                throw new AsnContentException("Only version 2 CRLs are supported.");
            }
        }

        (string innerAlgorithm, _) = ReadAlgorithmIdentifier(tbsReader);
        if (innerAlgorithm != signatureAlgorithm)
        {
            throw new AsnContentException("The signature algorithm inside the CRL does not match the outer one.");
        }

        var issuer = new X500DistinguishedName(tbsReader.ReadEncodedValue().Span);
        DateTimeOffset thisUpdate = ReadTime(tbsReader);
        DateTimeOffset? nextUpdate = null;
        if (tbsReader.HasData && IsTimeTag(tbsReader.PeekTag()))
        {
            nextUpdate = ReadTime(tbsReader);
        }

        var revoked = new Dictionary<string, RevokedCertificate>(StringComparer.Ordinal);
        if (tbsReader.HasData && tbsReader.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            AsnReader entries = tbsReader.ReadSequence();
            while (entries.HasData)
            {
                AsnReader entry = entries.ReadSequence();
                string serial = NormalizeSerial(entry.ReadIntegerBytes().Span);
                DateTimeOffset revocationDate = ReadTime(entry);
                X509RevocationReason? reason = null;
                if (entry.HasData)
                {
                    foreach ((string oid, _, ReadOnlyMemory<byte> value) in ReadExtensions(entry.ReadSequence()))
                    {
                        if (oid == ReasonCodeOid)
                        {
                            reason = new AsnReader(value, AsnEncodingRules.DER).ReadEnumeratedValue<X509RevocationReason>();
                        }
                    }
                }

                entry.ThrowIfNotEmpty();
                revoked[serial] = new RevokedCertificate(serial, revocationDate, reason);
            }
        }

        BigInteger? crlNumber = null;
        CrlScope scope = default;
        if (tbsReader.HasData)
        {
            AsnReader extensionsWrapper = tbsReader.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
            AsnReader extensions = extensionsWrapper.ReadSequence();
            extensionsWrapper.ThrowIfNotEmpty();
            foreach ((string oid, bool critical, ReadOnlyMemory<byte> value) in ReadExtensions(extensions))
            {
                if (oid == CrlNumberOid)
                {
                    crlNumber = new AsnReader(value, AsnEncodingRules.DER).ReadInteger();
                }
                else if (oid == IssuingDistributionPointOid)
                {
                    scope = ReadScope(value);
                }
                else if (oid == DeltaCrlIndicatorOid)
                {
                    throw new AsnContentException("Delta CRLs are not supported; add the full (base) CRL.");
                }
                else if (critical && oid is not "2.5.29.35")
                {
                    throw new AsnContentException($"The CRL has an unsupported critical extension {oid}.");
                }
            }
        }

        tbsReader.ThrowIfNotEmpty();
        return new CertificateRevocationList(
            der, issuer, thisUpdate, nextUpdate, crlNumber, revoked, signatureAlgorithm, signatureParameters, tbs, signature, scope);
    }

    /// <summary>The flags of an issuingDistributionPoint extension (RFC 5280 5.2.5).</summary>
    private static CrlScope ReadScope(ReadOnlyMemory<byte> value)
    {
        AsnReader idp = new AsnReader(value, AsnEncodingRules.DER).ReadSequence();
        bool onlyUser = false, onlyCa = false, partial = false;
        while (idp.HasData)
        {
            Asn1Tag tag = idp.PeekTag();
            if (tag.TagClass != TagClass.ContextSpecific)
            {
                throw new AsnContentException("The issuing distribution point extension is malformed.");
            }

            switch (tag.TagValue)
            {
                case 1:
                    onlyUser = idp.ReadBoolean(tag);
                    break;
                case 2:
                    onlyCa = idp.ReadBoolean(tag);
                    break;
                case 3: // onlySomeReasons
                    idp.ReadEncodedValue();
                    partial = true;
                    break;
                case 4: // indirectCRL
                case 5: // onlyContainsAttributeCerts
                    partial |= idp.ReadBoolean(tag);
                    break;
                default:
                    idp.ReadEncodedValue();
                    break;
            }
        }

        return new CrlScope(onlyUser, onlyCa, partial);
    }

    private static IEnumerable<(string Oid, bool Critical, ReadOnlyMemory<byte> Value)> ReadExtensions(AsnReader extensions)
    {
        var result = new List<(string, bool, ReadOnlyMemory<byte>)>();
        while (extensions.HasData)
        {
            AsnReader extension = extensions.ReadSequence();
            string oid = extension.ReadObjectIdentifier();
            bool critical = false;
            if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
            {
                critical = extension.ReadBoolean();
            }

            ReadOnlyMemory<byte> value = extension.ReadOctetString();
            extension.ThrowIfNotEmpty();
            result.Add((oid, critical, value));
        }

        return result;
    }

    private static (string Oid, byte[]? Parameters) ReadAlgorithmIdentifier(AsnReader reader)
    {
        AsnReader algorithm = reader.ReadSequence();
        string oid = algorithm.ReadObjectIdentifier();
        byte[]? parameters = algorithm.HasData ? algorithm.ReadEncodedValue().ToArray() : null;
        algorithm.ThrowIfNotEmpty();
        return (oid, parameters);
    }

    private static bool IsTimeTag(Asn1Tag tag) =>
        tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();

    private bool VerifySignature(X509Certificate2 issuer)
    {
        switch (SignatureAlgorithm)
        {
            case "1.2.840.113549.1.1.5":
                return VerifyRsa(issuer, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
            case "1.2.840.113549.1.1.11":
                return VerifyRsa(issuer, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            case "1.2.840.113549.1.1.12":
                return VerifyRsa(issuer, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1);
            case "1.2.840.113549.1.1.13":
                return VerifyRsa(issuer, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1);
            case "1.2.840.113549.1.1.10":
                return VerifyRsa(issuer, ReadPssHash(), RSASignaturePadding.Pss);
            case "1.2.840.10045.4.3.2":
                return VerifyEcdsa(issuer, HashAlgorithmName.SHA256);
            case "1.2.840.10045.4.3.3":
                return VerifyEcdsa(issuer, HashAlgorithmName.SHA384);
            case "1.2.840.10045.4.3.4":
                return VerifyEcdsa(issuer, HashAlgorithmName.SHA512);
            default:
                return false;
        }
    }

    private bool VerifyRsa(X509Certificate2 issuer, HashAlgorithmName hash, RSASignaturePadding padding)
    {
        using RSA? key = issuer.GetRSAPublicKey();
        return key is not null && key.VerifyData(_tbs, _signature, hash, padding);
    }

    private bool VerifyEcdsa(X509Certificate2 issuer, HashAlgorithmName hash)
    {
        using ECDsa? key = issuer.GetECDsaPublicKey();
        return key is not null && key.VerifyData(_tbs, _signature, hash, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>
    /// RSASSA-PSS parameters (RFC 4055). The BCL verifies PSS with MGF1 over the same hash and a salt as long as
    /// the hash, which is what every common CA emits; anything else is refused rather than guessed.
    /// </summary>
    private HashAlgorithmName ReadPssHash()
    {
        if (_signatureParameters is null)
        {
            throw new NotSupportedException("RSASSA-PSS without parameters is not supported.");
        }

        var parameters = new AsnReader(_signatureParameters, AsnEncodingRules.DER).ReadSequence();
        string hashOid = "1.3.14.3.2.26"; // SHA-1, the RFC 4055 default
        string mgfHashOid = hashOid;
        int saltLength = 20;
        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            AsnReader wrapper = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
            hashOid = ReadAlgorithmIdentifier(wrapper).Oid;
        }

        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
        {
            AsnReader wrapper = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1));
            AsnReader mgf = wrapper.ReadSequence();
            if (mgf.ReadObjectIdentifier() != "1.2.840.113549.1.1.8")
            {
                throw new NotSupportedException("Only MGF1 is supported for RSASSA-PSS.");
            }

            mgfHashOid = ReadAlgorithmIdentifier(mgf).Oid;
        }

        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2)))
        {
            AsnReader wrapper = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 2));
            if (!wrapper.TryReadInt32(out saltLength))
            {
                throw new NotSupportedException("The RSASSA-PSS salt length is out of range.");
            }
        }

        (HashAlgorithmName hash, int hashLength) = hashOid switch
        {
            "1.3.14.3.2.26" => (HashAlgorithmName.SHA1, 20),
            "2.16.840.1.101.3.4.2.1" => (HashAlgorithmName.SHA256, 32),
            "2.16.840.1.101.3.4.2.2" => (HashAlgorithmName.SHA384, 48),
            "2.16.840.1.101.3.4.2.3" => (HashAlgorithmName.SHA512, 64),
            _ => throw new NotSupportedException($"RSASSA-PSS with hash {hashOid} is not supported."),
        };
        if (mgfHashOid != hashOid || saltLength != hashLength)
        {
            throw new NotSupportedException("RSASSA-PSS with a different MGF hash or salt length is not supported.");
        }

        return hash;
    }

    private readonly record struct CrlScope(bool OnlyUserCertificates, bool OnlyCaCertificates, bool Partial);

    private static CasbException Unreadable(string message, string? source, Exception? inner = null) =>
        new("CrlUnreadable", CasbErrorKind.InvalidData, message, source, inner);
}
