using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>The key a generated certificate gets.</summary>
internal abstract record TestKey
{
    public static TestKey Rsa(int bits) => new RsaKey(bits);

    public static TestKey Ec(string curveOid) => new EcKey(curveOid);

    public static TestKey Dsa(int bits) => new DsaKey(bits);

    public static readonly TestKey Rsa2048 = Rsa(2048);

    public static readonly TestKey P256 = Ec("1.2.840.10045.3.1.7");

    /// <summary>The same EC key every time (a fresh object, so that disposing it is harmless): fast issuance in property tests.</summary>
    public static TestKey Reused(ECDsa key) => new ReusedEcKey(key.ExportParameters(includePrivateParameters: true));

    public abstract AsymmetricAlgorithm Create();

    private sealed record ReusedEcKey(ECParameters Parameters) : TestKey
    {
        public override AsymmetricAlgorithm Create() => ECDsa.Create(Parameters);
    }

    private sealed record RsaKey(int Bits) : TestKey
    {
        public override AsymmetricAlgorithm Create() => RSA.Create(Bits);
    }

    private sealed record EcKey(string CurveOid) : TestKey
    {
        public override AsymmetricAlgorithm Create() => ECDsa.Create(ECCurve.CreateFromValue(CurveOid));
    }

    private sealed record DsaKey(int Bits) : TestKey
    {
        public override AsymmetricAlgorithm Create() => DSA.Create(Bits);
    }
}

/// <summary>What a generated certificate looks like; the defaults make a good client certificate.</summary>
internal sealed record CertificateSpec
{
    public string Subject { get; init; } = "CN=Corpus Device, O=Fabrikam";

    public TestKey Key { get; init; } = TestKey.Rsa2048;

    /// <summary>The hash the issuer signs with; MD5 uses a hand-made signature generator (the BCL will not sign with it).</summary>
    public HashAlgorithmName SignatureHash { get; init; } = HashAlgorithmName.SHA256;

    public bool IsCertificateAuthority { get; init; }

    public X509KeyUsageFlags? KeyUsage { get; init; }

    /// <summary>EKU OIDs; null leaves the extension out. Leaves default to clientAuth.</summary>
    public string[]? Ekus { get; init; } = { CertificateExtensions.ClientAuthenticationOid };

    public string? Upn { get; init; }

    public string? Email { get; init; }

    /// <summary>A SAN extension written by hand (malformed names), instead of <see cref="Upn"/> / <see cref="Email"/>.</summary>
    public byte[]? RawSubjectAlternativeName { get; init; }

    public X509Extension? NameConstraints { get; init; }

    public string? CrlDistributionPoint { get; init; }

    public DateTimeOffset NotBefore { get; init; } = DateTimeOffset.UtcNow.AddDays(-1);

    public DateTimeOffset NotAfter { get; init; } = DateTimeOffset.UtcNow.AddYears(1);

    public static CertificateSpec Ca(string subject) => new()
    {
        Subject = subject,
        IsCertificateAuthority = true,
        Ekus = null,
        NotBefore = DateTimeOffset.UtcNow.AddDays(-30),
        NotAfter = DateTimeOffset.UtcNow.AddYears(5),
    };
}

/// <summary>Generates certificates and CRLs with the CertificateRequest API (and AsnWriter where the BCL refuses to).</summary>
internal static class TestPki
{
    /// <summary>Issues (or, with no issuer, self-signs) a certificate; the result carries its private key.</summary>
    public static X509Certificate2 Issue(CertificateSpec spec, X509Certificate2? issuer)
    {
        using AsymmetricAlgorithm key = spec.Key.Create();
        var request = new CertificateRequest(new X500DistinguishedName(spec.Subject), new PublicKey(key), spec.SignatureHash);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(spec.IsCertificateAuthority, false, 0, true));
        X509KeyUsageFlags usage = spec.KeyUsage ?? (spec.IsCertificateAuthority
            ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature
            : X509KeyUsageFlags.DigitalSignature | (key is RSA ? X509KeyUsageFlags.KeyEncipherment : 0));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        if (spec.Ekus is not null)
        {
            var oids = new OidCollection();
            foreach (string eku in spec.Ekus)
            {
                oids.Add(new Oid(eku));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (spec.RawSubjectAlternativeName is not null)
        {
            request.CertificateExtensions.Add(new X509Extension("2.5.29.17", spec.RawSubjectAlternativeName, false));
        }
        else if (spec.Upn is not null || spec.Email is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            if (spec.Upn is not null)
            {
                san.AddUserPrincipalName(spec.Upn);
            }

            if (spec.Email is not null)
            {
                san.AddEmailAddress(spec.Email);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        if (spec.NameConstraints is not null)
        {
            request.CertificateExtensions.Add(spec.NameConstraints);
        }

        if (spec.CrlDistributionPoint is not null)
        {
            request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension(new[] { spec.CrlDistributionPoint }));
        }

        X509SignatureGenerator generator;
        X500DistinguishedName issuerName;
        if (issuer is null)
        {
            generator = Generator(key, spec.SignatureHash);
            issuerName = request.SubjectName;
        }
        else
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
            generator = Generator(PrivateKey(issuer), spec.SignatureHash);
            issuerName = issuer.SubjectName;
        }

        using X509Certificate2 certificate = request.Create(issuerName, generator, spec.NotBefore, spec.NotAfter, Serial());
        return key switch
        {
            RSA rsa => certificate.CopyWithPrivateKey(rsa),
            ECDsa ecdsa => certificate.CopyWithPrivateKey(ecdsa),
            DSA dsa => certificate.CopyWithPrivateKey(dsa),
            _ => throw new NotSupportedException(),
        };
    }

    /// <summary>A name constraints extension (critical) with rfc822Name and UPN otherName subtrees.</summary>
    public static X509Extension NameConstraints(
        string[]? permittedEmail = null, string[]? permittedUpn = null, string[]? excludedEmail = null, string[]? excludedUpn = null, string[]? permittedDns = null)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            WriteSubtrees(writer, 0, permittedEmail, permittedUpn, permittedDns);
            WriteSubtrees(writer, 1, excludedEmail, excludedUpn, null);
        }

        return new X509Extension("2.5.29.30", writer.Encode(), critical: true);
    }

    /// <summary>A SAN extension with one UPN otherName whose value is <paramref name="upn"/> as <paramref name="stringType"/>.</summary>
    public static byte[] UpnSan(string upn, UniversalTagNumber stringType = UniversalTagNumber.UTF8String)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            {
                writer.WriteObjectIdentifier(CertificateExtensions.UserPrincipalNameOid);
                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
                {
                    writer.WriteCharacterString(stringType, upn);
                }
            }
        }

        return writer.Encode();
    }

    /// <summary>
    /// A SAN extension with one rfc822Name, written byte for byte (the BCL builder would refuse some): UTF-8, so an ASCII
    /// name is its own bytes and every other character stays bytes above 0x7F. (Latin-1 wrote '?' for a character above
    /// U+00FF, so "\u200b@a" became the well-formed "?@a" and a property test saw the name it asked for accepted.)
    /// </summary>
    public static byte[] EmailSan(string email)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteOctetString(System.Text.Encoding.UTF8.GetBytes(email), new Asn1Tag(TagClass.ContextSpecific, 1));
        }

        return writer.Encode();
    }

    /// <summary>
    /// A v2 CRL signed by <paramref name="issuer"/> (RSA or ECDSA key), written with AsnWriter so that tests can make
    /// the ones CertificateRevocationListBuilder cannot: critical CRL numbers, unknown critical extensions, SHA-1, an
    /// issuing distribution point (critical, its fields written by <paramref name="issuingDistributionPoint"/>).
    /// </summary>
    public static byte[] Crl(
        X509Certificate2 issuer,
        int number,
        DateTimeOffset thisUpdate,
        DateTimeOffset nextUpdate,
        IEnumerable<X509Certificate2>? revoked = null,
        bool criticalCrlNumber = false,
        string? criticalExtension = null,
        string? criticalEntryExtension = null,
        HashAlgorithmName? hash = null,
        Action<AsnWriter>? issuingDistributionPoint = null)
    {
        HashAlgorithmName h = hash ?? HashAlgorithmName.SHA256;
        X509SignatureGenerator generator = Generator(PrivateKey(issuer), h);
        byte[] algorithm = generator.GetSignatureAlgorithmIdentifier(h);

        var tbs = new AsnWriter(AsnEncodingRules.DER);
        using (tbs.PushSequence())
        {
            tbs.WriteInteger(1);
            tbs.WriteEncodedValue(algorithm);
            tbs.WriteEncodedValue(issuer.SubjectName.RawData);
            tbs.WriteUtcTime(thisUpdate);
            tbs.WriteUtcTime(nextUpdate);
            List<X509Certificate2> entries = revoked?.ToList() ?? new();
            if (entries.Count > 0)
            {
                using (tbs.PushSequence())
                {
                    foreach (X509Certificate2 certificate in entries)
                    {
                        using (tbs.PushSequence())
                        {
                            tbs.WriteInteger(certificate.SerialNumberBytes.Span);
                            tbs.WriteUtcTime(thisUpdate.AddMinutes(-1));
                            if (criticalEntryExtension is not null)
                            {
                                using (tbs.PushSequence())
                                {
                                    WriteExtension(tbs, criticalEntryExtension, critical: true, new byte[] { 0x05, 0x00 });
                                }
                            }
                        }
                    }
                }
            }

            using (tbs.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            {
                using (tbs.PushSequence())
                {
                    var crlNumber = new AsnWriter(AsnEncodingRules.DER);
                    crlNumber.WriteInteger(number);
                    WriteExtension(tbs, "2.5.29.20", criticalCrlNumber, crlNumber.Encode());
                    if (criticalExtension is not null)
                    {
                        WriteExtension(tbs, criticalExtension, critical: true, new byte[] { 0x05, 0x00 });
                    }

                    if (issuingDistributionPoint is not null)
                    {
                        // Its fields, which CertificateRevocationListBuilder cannot write, as the caller writes them.
                        var idp = new AsnWriter(AsnEncodingRules.DER);
                        using (idp.PushSequence())
                        {
                            issuingDistributionPoint(idp);
                        }

                        WriteExtension(tbs, "2.5.29.28", critical: true, idp.Encode());
                    }
                }
            }
        }

        byte[] toBeSigned = tbs.Encode();
        byte[] signature = generator.SignData(toBeSigned, h);
        var crl = new AsnWriter(AsnEncodingRules.DER);
        using (crl.PushSequence())
        {
            crl.WriteEncodedValue(toBeSigned);
            crl.WriteEncodedValue(algorithm);
            crl.WriteBitString(signature);
        }

        return crl.Encode();
    }

    public static TrustedRootEntry Entry(X509Certificate2 certificate) =>
        TestConfigurations.Entry(certificate, TrustedRootCatalog.GetKind(certificate));

    /// <summary>A configuration trusting <paramref name="cas"/> (roots and intermediates by their kind).</summary>
    public static CasbConfiguration Trusting(RevocationCheckMode mode, bool allowWeak, params X509Certificate2[] cas)
    {
        var configuration = new CasbConfiguration();
        configuration.Settings.RevocationMode = mode;
        configuration.Settings.AllowWeakCertificateCryptography = allowWeak;
        foreach (X509Certificate2 ca in cas)
        {
            configuration.TrustedRoots.Add(Entry(ca));
        }

        return configuration;
    }

    /// <summary>Puts a CRL into the store without the checks of Add-CasbCertificateRevocationList (as an old or imported store may hold it).</summary>
    public static CasbConfiguration WithRawCrl(this CasbConfiguration configuration, byte[] crl, X509Certificate2 issuer)
    {
        configuration.RevocationLists.Add(new RevocationListEntry
        {
            Id = Convert.ToHexString(SHA256.HashData(crl)),
            Issuer = issuer.Subject,
            IssuerThumbprint = issuer.Thumbprint,
            ThisUpdate = DateTimeOffset.UtcNow,
            RawData = Convert.ToBase64String(crl),
        });
        return configuration;
    }

    private static void WriteSubtrees(AsnWriter writer, int tag, string[]? emails, string[]? upns, string[]? dns)
    {
        if ((emails?.Length ?? 0) + (upns?.Length ?? 0) + (dns?.Length ?? 0) == 0)
        {
            return;
        }

        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, tag, isConstructed: true)))
        {
            foreach (string email in emails ?? Array.Empty<string>())
            {
                using (writer.PushSequence())
                {
                    writer.WriteCharacterString(UniversalTagNumber.IA5String, email, new Asn1Tag(TagClass.ContextSpecific, 1));
                }
            }

            foreach (string name in dns ?? Array.Empty<string>())
            {
                using (writer.PushSequence())
                {
                    writer.WriteCharacterString(UniversalTagNumber.IA5String, name, new Asn1Tag(TagClass.ContextSpecific, 2));
                }
            }

            foreach (string upn in upns ?? Array.Empty<string>())
            {
                using (writer.PushSequence())
                {
                    using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
                    {
                        writer.WriteObjectIdentifier(CertificateExtensions.UserPrincipalNameOid);
                        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
                        {
                            writer.WriteCharacterString(UniversalTagNumber.UTF8String, upn);
                        }
                    }
                }
            }
        }
    }

    /// <summary>One X.509 Extension (oid, critical only when true, the value's DER in an OCTET STRING), as CRL builders write it.</summary>
    internal static void WriteExtension(AsnWriter writer, string oid, bool critical, byte[] value)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            if (critical)
            {
                writer.WriteBoolean(true);
            }

            writer.WriteOctetString(value);
        }
    }

    private static AsymmetricAlgorithm PrivateKey(X509Certificate2 certificate) =>
        (AsymmetricAlgorithm?)certificate.GetRSAPrivateKey() ?? (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey()
        ?? throw new InvalidOperationException($"'{certificate.Subject}' has no RSA or ECDSA private key to sign with.");

    internal static X509SignatureGenerator Generator(AsymmetricAlgorithm key, HashAlgorithmName hash) => key switch
    {
        RSA rsa when hash == HashAlgorithmName.MD5 => new LegacyRsaGenerator(rsa, "1.2.840.113549.1.1.4", hash),
        RSA rsa when hash == HashAlgorithmName.SHA1 => new LegacyRsaGenerator(rsa, "1.2.840.113549.1.1.5", hash),
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        ECDsa ecdsa => X509SignatureGenerator.CreateForECDsa(ecdsa),
        _ => throw new NotSupportedException("Only RSA and ECDSA keys sign in these tests."),
    };

    private static byte[] Serial()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }

    /// <summary>md5WithRSAEncryption and sha1WithRSAEncryption, which the BCL's generators refuse: what legacy CAs signed with.</summary>
    private sealed class LegacyRsaGenerator(RSA key, string oid, HashAlgorithmName hash) : X509SignatureGenerator
    {
        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm)
        {
            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(oid);
                writer.WriteNull();
            }

            return writer.Encode();
        }

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) =>
            key.SignData(data, hash, RSASignaturePadding.Pkcs1);

        protected override PublicKey BuildPublicKey() => new(key);
    }
}
