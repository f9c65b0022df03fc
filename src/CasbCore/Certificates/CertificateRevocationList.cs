using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CasbCore.Certificates;

/// <summary>One revoked serial number in a CRL.</summary>
public sealed record RevokedCertificate(string SerialNumber, DateTimeOffset RevocationDate, X509RevocationReason? Reason)
{
    /// <summary>
    /// False for a certificateHold (a later CRL may lift it) and a delta's removeFromCRL (which lifts one); any other
    /// revocation is permanent (RFC 5280 5.3.1): no later CRL takes it back.
    /// </summary>
    public bool IsPermanent => Reason is not (X509RevocationReason.CertificateHold or X509RevocationReason.RemoveFromCrl);
}

/// <summary>
/// A parsed X.509 CRL (RFC 5280 CertificateList), read with <see cref="AsnReader"/>. Immutable; its signature is
/// checked against a CA certificate with <see cref="IsSignedBy"/>. A CRL that breaks the RFC 5280 profile in a way
/// that makes it unusable (an unrecognized critical CRL or entry extension, a critical CRL number, an extension
/// twice) is refused as CrlMalformed: RFC 5280 5.2 and 5.3 forbid using such a CRL to decide any status.
/// </summary>
public sealed class CertificateRevocationList
{
    private const string CrlNumberOid = "2.5.29.20";
    private const string DeltaCrlIndicatorOid = "2.5.29.27";
    private const string ReasonCodeOid = "2.5.29.21";
    private const string IssuingDistributionPointOid = "2.5.29.28";
    private const string AuthorityKeyIdentifierOid = "2.5.29.35";
    private const string IssuerAlternativeNameOid = "2.5.29.18";
    private const string FreshestCrlOid = "2.5.29.46";
    private const string AuthorityInformationAccessOid = "1.3.6.1.5.5.7.1.1";
    private const string InvalidityDateOid = "2.5.29.24";
    private const string HoldInstructionCodeOid = "2.5.29.23";

    /// <summary>The error id of a CRL that decodes but must not be used (RFC 5280 profile violations).</summary>
    public const string MalformedErrorId = "CrlMalformed";

    private readonly Dictionary<string, RevokedCertificate> _revoked;
    private readonly byte[] _tbs;
    private readonly byte[] _signature;
    private readonly CrlScope _scope;

    private CertificateRevocationList(
        byte[] rawData,
        X500DistinguishedName issuer,
        DateTimeOffset thisUpdate,
        DateTimeOffset? nextUpdate,
        BigInteger? crlNumber,
        Dictionary<string, RevokedCertificate> revoked,
        string signatureAlgorithm,
        ReadOnlyMemory<byte>? signatureParameters,
        byte[] tbs,
        byte[] signature,
        CrlScope scope,
        BigInteger? baseCrlNumber,
        IReadOnlyList<Uri> freshestCrlLocations)
    {
        _scope = scope;
        BaseCrlNumber = baseCrlNumber;
        FreshestCrlLocations = freshestCrlLocations;
        RawData = rawData;
        Issuer = issuer;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        CrlNumber = crlNumber;
        _revoked = revoked;
        SignatureAlgorithm = signatureAlgorithm;
        SignatureParameters = signatureParameters;
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

    /// <summary>
    /// The Delta CRL Indicator's BaseCRLNumber (RFC 5280 5.2.4) of a delta CRL, else null: a delta lists what changed
    /// since the complete CRL with that number and completes any complete CRL of its scope numbered at least that.
    /// </summary>
    public BigInteger? BaseCrlNumber { get; }

    /// <summary>True for a delta CRL (it has the Delta CRL Indicator).</summary>
    public bool IsDelta => BaseCrlNumber is not null;

    /// <summary>
    /// The http(s) locations of the Freshest CRL extension (RFC 5280 5.2.6): where a complete CRL announces its delta
    /// CRL. A complete CRL that has any is not complete without a current delta.
    /// </summary>
    public IReadOnlyList<Uri> FreshestCrlLocations { get; }

    /// <summary>True when the complete CRL announces a delta CRL (it has the Freshest CRL extension).</summary>
    public bool AnnouncesDelta { get; private init; }

    /// <summary>The OID of the signature algorithm.</summary>
    public string SignatureAlgorithm { get; }

    /// <summary>The encoded parameters of the signature algorithm (RSASSA-PSS), or null.</summary>
    public ReadOnlyMemory<byte>? SignatureParameters { get; }

    public IReadOnlyCollection<RevokedCertificate> RevokedCertificates => _revoked.Values;

    /// <summary>
    /// When the CRL stops saying anything current: its nextUpdate, else <paramref name="withoutNextUpdate"/> (the store's
    /// CRL cache period, <see cref="CachePeriod"/>) after its thisUpdate. RFC 5280 5.1.2.5 requires nextUpdate of conforming
    /// issuers; a CRL without one promises nothing about when it is superseded, and counted current forever a stored one
    /// would stand in for the distribution point for good and a fetched one would never be fetched again (fail open).
    /// Every reader (the validator behind the gateway and Test-CasbClientCertificate / Test-CasbAccess, the CRL cache, the
    /// store's rules and what Get-CasbCertificateRevocationList shows) asks this one question, so they cannot disagree.
    /// </summary>
    public DateTimeOffset CurrentUntil(TimeSpan withoutNextUpdate) => CurrentUntil(ThisUpdate, NextUpdate, withoutNextUpdate);

    /// <summary><see cref="CurrentUntil(TimeSpan)"/> of a CRL known by its two times (a stored entry's, say).</summary>
    public static DateTimeOffset CurrentUntil(DateTimeOffset thisUpdate, DateTimeOffset? nextUpdate, TimeSpan withoutNextUpdate) =>
        nextUpdate ?? (thisUpdate <= DateTimeOffset.MaxValue - withoutNextUpdate ? thisUpdate + withoutNextUpdate : DateTimeOffset.MaxValue);

    /// <summary>False once <paramref name="at"/> is at or past <see cref="CurrentUntil(TimeSpan)"/>: the CRL no longer says anything current.</summary>
    public bool IsCurrentAt(DateTimeOffset at, TimeSpan withoutNextUpdate) => at < CurrentUntil(withoutNextUpdate);

    /// <summary>What ends the CRL's currency, in words for "past its ..." and "its ... has passed".</summary>
    public string DescribeCurrentUntil(TimeSpan withoutNextUpdate) => NextUpdate is { } next
        ? $"nextUpdate {next:u}"
        : $"CRL cache period ({withoutNextUpdate.TotalMinutes:0} minutes after its thisUpdate {ThisUpdate:u}, as it has no nextUpdate)";

    /// <summary>How long after its thisUpdate a CRL without nextUpdate counts as current: the CrlCacheMinutes setting.</summary>
    public static TimeSpan CachePeriod(int crlCacheMinutes) => TimeSpan.FromMinutes(Math.Max(0, crlCacheMinutes));

    /// <summary>
    /// False when the CRL's issuing distribution point limits it to other certificates (only user or only CA
    /// certificates, only some reasons, indirect or attribute-certificate CRLs), or when it is a delta CRL: its silence
    /// about <paramref name="certificate"/> then proves nothing.
    /// </summary>
    public bool Covers(X509Certificate2 certificate)
    {
        // A delta lists only what changed since its base: alone, its silence proves nothing.
        if (_scope.Partial || IsDelta)
        {
            return false;
        }

        // A partition (the issuing distribution point names one): only the certificates that name it in their own CRL
        // distribution points. One without any is covered only by a complete CRL.
        if (_scope.DistributionPoint is { } names && !CertificateExtensions.GetCrlDistributionPointNames(certificate).Overlaps(names))
        {
            return false;
        }

        bool isCa = CertificateExtensions.IsCertificateAuthority(certificate);
        return !(_scope.OnlyUserCertificates && isCa) && !(_scope.OnlyCaCertificates && !isCa);
    }

    /// <summary>
    /// What the CRL is a complete list for, as text: "" for the whole issuer, else its issuing distribution point's
    /// scope. Two CRLs of one issuer with the same scope supersede each other; with different ones (partitions) they
    /// complement each other.
    /// </summary>
    public string Scope => _scope.Key;

    /// <summary>Finds a serial number (as <c>X509Certificate2.SerialNumberBytes</c>, big-endian) in the list.</summary>
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
    /// extension is present) and its public key verifies the signature (RSA PKCS#1 v1.5 or PSS, ECDSA, DSA). Whether
    /// the algorithm is strong enough is a separate question: <see cref="SignatureProblem"/>.
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
            return Certificates.SignatureAlgorithm.Identify(SignatureAlgorithm, SignatureParameters) is { } algorithm
                && algorithm.Verify(_tbs, _signature, issuer);
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>True when this CRL supersedes <paramref name="other"/>: a higher CRL number, else a later thisUpdate.</summary>
    public bool IsNewerThan(CertificateRevocationList other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (CrlNumber is { } a && other.CrlNumber is { } b && a != b)
        {
            return a > b;
        }

        return ThisUpdate > other.ThisUpdate;
    }

    /// <summary>Null when the CRL's signature algorithm is acceptable (<see cref="CryptographyRules"/>), else why not.</summary>
    public string? SignatureProblem(bool allowWeak) =>
        CryptographyRules.SignatureProblem(SignatureAlgorithm, SignatureParameters, allowWeak);

    /// <summary>
    /// Parses a DER CRL or a PEM one ("-----BEGIN X509 CRL-----"). Throws <see cref="CasbException"/> CrlUnreadable
    /// (not a decodable CRL) or CrlMalformed (decodes, but RFC 5280 forbids using it).
    /// </summary>
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
            return ParseDer(der, what, source);
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException or ArgumentException or OverflowException)
        {
            throw Unreadable($"{what} is not a valid X.509 CRL: {ex.Message}", source, ex);
        }
    }

    /// <summary>
    /// The normalized form (upper-case hex, minimal two's complement as DER writes it) of a big-endian serial number:
    /// a leading 00 or FF that only repeats the sign is dropped, so one number has one form and a negative serial
    /// (FF, -1) never reads as a positive one (00 FF, 255).
    /// </summary>
    public static string NormalizeSerial(ReadOnlySpan<byte> serialNumber)
    {
        int start = 0;
        while (start < serialNumber.Length - 1
               && ((serialNumber[start] == 0x00 && serialNumber[start + 1] < 0x80) || (serialNumber[start] == 0xFF && serialNumber[start + 1] >= 0x80)))
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

    private static CertificateRevocationList ParseDer(byte[] der, string what, string? source)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        AsnReader certificateList = outer.ReadSequence();
        outer.ThrowIfNotEmpty();

        byte[] tbs = certificateList.PeekEncodedValue().ToArray();
        AsnReader tbsReader = certificateList.ReadSequence();
        (string signatureAlgorithm, ReadOnlyMemory<byte>? signatureParameters) = Certificates.SignatureAlgorithm.ReadIdentifier(certificateList);
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

        (string innerAlgorithm, _) = Certificates.SignatureAlgorithm.ReadIdentifier(tbsReader);
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
                    foreach ((string oid, bool critical, ReadOnlyMemory<byte> value) in ReadExtensions(entry.ReadSequence(), what, source))
                    {
                        if (oid == ReasonCodeOid)
                        {
                            reason = new AsnReader(value, AsnEncodingRules.DER).ReadEnumeratedValue<X509RevocationReason>();
                        }
                        else if (critical && oid is not (InvalidityDateOid or HoldInstructionCodeOid))
                        {
                            // certificateIssuer (indirect CRLs) is critical and changes whose serial an entry names.
                            throw Malformed($"{what} has an entry (serial {serial}) with the critical extension {oid}, which is not supported; RFC 5280 forbids using such a CRL.", source);
                        }
                    }
                }

                entry.ThrowIfNotEmpty();
                revoked[serial] = new RevokedCertificate(serial, revocationDate, reason);
            }
        }

        BigInteger? crlNumber = null;
        BigInteger? baseCrlNumber = null;
        bool announcesDelta = false;
        IReadOnlyList<Uri> freshest = Array.Empty<Uri>();
        CrlScope scope = default;
        if (tbsReader.HasData)
        {
            AsnReader extensionsWrapper = tbsReader.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
            AsnReader extensions = extensionsWrapper.ReadSequence();
            extensionsWrapper.ThrowIfNotEmpty();
            foreach ((string oid, bool critical, ReadOnlyMemory<byte> value) in ReadExtensions(extensions, what, source))
            {
                if (oid == CrlNumberOid)
                {
                    if (critical)
                    {
                        throw Malformed($"{what} marks its CRL number extension critical; RFC 5280 (5.2.3) requires it to be non-critical.", source);
                    }

                    crlNumber = new AsnReader(value, AsnEncodingRules.DER).ReadInteger();
                    if (crlNumber < 0)
                    {
                        throw Malformed($"{what} has a negative CRL number.", source);
                    }
                }
                else if (oid == IssuingDistributionPointOid)
                {
                    scope = ReadScope(value);
                }
                else if (oid == DeltaCrlIndicatorOid)
                {
                    if (!critical)
                    {
                        throw Malformed($"{what} has a non-critical Delta CRL Indicator; RFC 5280 (5.2.4) requires it to be critical.", source);
                    }

                    baseCrlNumber = new AsnReader(value, AsnEncodingRules.DER).ReadInteger();
                    if (baseCrlNumber < 0)
                    {
                        throw Malformed($"{what} is a delta CRL with a negative BaseCRLNumber.", source);
                    }
                }
                else if (oid == FreshestCrlOid)
                {
                    announcesDelta = true;
                    freshest = CertificateExtensions.ReadDistributionPointUris(value);
                }
                else if (critical && oid is not (AuthorityKeyIdentifierOid or IssuerAlternativeNameOid or FreshestCrlOid or AuthorityInformationAccessOid))
                {
                    throw Malformed($"{what} has the critical extension {oid}, which is not supported; RFC 5280 forbids using such a CRL.", source);
                }
            }
        }

        tbsReader.ThrowIfNotEmpty();
        if (baseCrlNumber is { } baseNumber)
        {
            // RFC 5280 5.2.4: a delta carries its own CRL number, from the same sequence as its base's and above it.
            if (crlNumber is not { } number)
            {
                throw Malformed($"{what} is a delta CRL without a CRL number; RFC 5280 (5.2.4) requires one.", source);
            }

            if (number <= baseNumber)
            {
                throw Malformed($"{what} is a delta CRL whose CRL number {number} is not greater than its BaseCRLNumber {baseNumber}.", source);
            }
        }

        return new CertificateRevocationList(
            der, issuer, thisUpdate, nextUpdate, crlNumber, revoked, signatureAlgorithm, signatureParameters, tbs, signature, scope, baseCrlNumber, freshest)
        {
            AnnouncesDelta = announcesDelta,
        };
    }

    /// <summary>The flags of an issuingDistributionPoint extension (RFC 5280 5.2.5).</summary>
    private static CrlScope ReadScope(ReadOnlyMemory<byte> value)
    {
        AsnReader idp = new AsnReader(value, AsnEncodingRules.DER).ReadSequence();
        bool onlyUser = false, onlyCa = false, partial = false;
        string[]? distributionPoint = null;
        // What makes a partial CRL partial, as encoded: two that differ (other reasons, another relative name) are two lists.
        var partialKey = new StringBuilder();
        while (idp.HasData)
        {
            Asn1Tag tag = idp.PeekTag();
            if (tag.TagClass != TagClass.ContextSpecific)
            {
                throw new AsnContentException("The issuing distribution point extension is malformed.");
            }

            switch (tag.TagValue)
            {
                case 0: // distributionPoint: a partition, for the certificates that name it
                    AsnReader name = idp.ReadSequence(tag);
                    Asn1Tag nameTag = name.PeekTag();
                    if (nameTag.TagClass == TagClass.ContextSpecific && nameTag.TagValue == 0)
                    {
                        distributionPoint = CertificateExtensions.ReadEncodedNames(name.ReadSequence(nameTag)).Order(StringComparer.Ordinal).ToArray();
                    }
                    else
                    {
                        partialKey.Append("relative:").Append(Convert.ToHexString(name.ReadEncodedValue().Span)).Append(';');
                        partial = true; // nameRelativeToCRLIssuer: not matched here, so it covers nothing
                    }

                    name.ThrowIfNotEmpty();
                    break;
                case 1:
                    onlyUser = idp.ReadBoolean(tag);
                    break;
                case 2:
                    onlyCa = idp.ReadBoolean(tag);
                    break;
                case 3: // onlySomeReasons
                    partialKey.Append("reasons:").Append(Convert.ToHexString(idp.ReadEncodedValue().Span)).Append(';');
                    partial = true;
                    break;
                case 4: // indirectCRL
                case 5: // onlyContainsAttributeCerts
                    if (idp.ReadBoolean(tag))
                    {
                        partialKey.Append(tag.TagValue == 4 ? "indirect;" : "attribute;");
                        partial = true;
                    }

                    break;
                default:
                    idp.ReadEncodedValue();
                    break;
            }
        }

        return new CrlScope(onlyUser, onlyCa, partial, distributionPoint, partial ? partialKey.ToString() : null);
    }

    private static IEnumerable<(string Oid, bool Critical, ReadOnlyMemory<byte> Value)> ReadExtensions(AsnReader extensions, string what, string? source)
    {
        var result = new List<(string Oid, bool, ReadOnlyMemory<byte>)>();
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
            if (result.Exists(e => e.Oid == oid))
            {
                throw Malformed($"{what} has the extension {oid} twice; RFC 5280 (4.2) allows one of each.", source);
            }

            result.Add((oid, critical, value));
        }

        return result;
    }

    private static bool IsTimeTag(Asn1Tag tag) =>
        tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();

    private readonly record struct CrlScope(
        bool OnlyUserCertificates, bool OnlyCaCertificates, bool Partial, string[]? DistributionPoint = null, string? PartialKey = null)
    {
        public string Key => !OnlyUserCertificates && !OnlyCaCertificates && !Partial && DistributionPoint is null
            ? ""
            : $"{(OnlyUserCertificates ? "user" : "")}|{(OnlyCaCertificates ? "ca" : "")}|{(Partial ? "partial " + PartialKey : "")}|{string.Join(",", DistributionPoint ?? [])}";
    }

    private static CasbException Malformed(string message, string? source) =>
        new(MalformedErrorId, CasbErrorKind.InvalidData, message, source);

    private static CasbException Unreadable(string message, string? source, Exception? inner = null) =>
        new("CrlUnreadable", CasbErrorKind.InvalidData, message, source, inner);
}
