using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

/// <summary>One entry of a test CRL: a serial number and its reason code (none when null).</summary>
internal sealed record CrlEntry(byte[] Serial, X509RevocationReason? Reason)
{
    public static CrlEntry Of(X509Certificate2 certificate, X509RevocationReason? reason = X509RevocationReason.KeyCompromise) =>
        new(certificate.SerialNumberBytes.ToArray(), reason);
}

/// <summary>
/// Complete and delta CRLs as AD CS publishes them, written with AsnWriter: CertificateRevocationListBuilder cannot add
/// the Delta CRL Indicator (2.5.29.27) or the Freshest CRL extension (2.5.29.46).
/// </summary>
internal static class DeltaCrlBuilder
{
    /// <summary>A complete (base) CRL, announcing its delta at <paramref name="freshest"/> when given.</summary>
    public static byte[] Base(
        X509Certificate2 issuerWithKey, int number, IEnumerable<CrlEntry> entries, string? freshest = null,
        DateTimeOffset? thisUpdate = null, DateTimeOffset? nextUpdate = null, bool withoutNextUpdate = false) =>
        Build(issuerWithKey, number, entries, baseNumber: null, freshest, thisUpdate, nextUpdate, withoutNextUpdate: withoutNextUpdate);

    /// <summary>A delta CRL: <paramref name="number"/> from the base's sequence, completing bases numbered at least <paramref name="baseNumber"/>.</summary>
    public static byte[] Delta(
        X509Certificate2 issuerWithKey, int number, int baseNumber, IEnumerable<CrlEntry> entries,
        DateTimeOffset? thisUpdate = null, DateTimeOffset? nextUpdate = null, bool criticalIndicator = true, bool withoutNextUpdate = false,
        HashAlgorithmName? hash = null) =>
        Build(issuerWithKey, number, entries, baseNumber, null, thisUpdate, nextUpdate, criticalIndicator, withoutNextUpdate, hash);

    public static byte[] Build(
        X509Certificate2 issuerWithKey,
        int? number,
        IEnumerable<CrlEntry> entries,
        int? baseNumber,
        string? freshest,
        DateTimeOffset? thisUpdate = null,
        DateTimeOffset? nextUpdate = null,
        bool criticalIndicator = true,
        bool withoutNextUpdate = false,
        HashAlgorithmName? hash = null)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        HashAlgorithmName h = hash ?? HashAlgorithmName.SHA256;
        DateTimeOffset issued = thisUpdate ?? now.AddMinutes(-1);
        using RSA key = issuerWithKey.GetRSAPrivateKey() ?? throw new ArgumentException("The issuer needs its RSA private key.", nameof(issuerWithKey));
        X509SignatureGenerator generator = TestPki.Generator(key, h);
        byte[] algorithm = generator.GetSignatureAlgorithmIdentifier(h);

        var tbs = new AsnWriter(AsnEncodingRules.DER);
        using (tbs.PushSequence())
        {
            tbs.WriteInteger(1);
            tbs.WriteEncodedValue(algorithm);
            tbs.WriteEncodedValue(issuerWithKey.SubjectName.RawData);
            tbs.WriteUtcTime(issued);
            if (!withoutNextUpdate)
            {
                // RFC 5280 5.1.2.5 makes nextUpdate mandatory for conforming issuers, but the ASN.1 keeps it OPTIONAL.
                tbs.WriteUtcTime(nextUpdate ?? now.AddDays(7));
            }

            List<CrlEntry> list = entries.ToList();
            if (list.Count > 0)
            {
                using (tbs.PushSequence())
                {
                    foreach (CrlEntry entry in list)
                    {
                        using (tbs.PushSequence())
                        {
                            tbs.WriteInteger(entry.Serial);
                            tbs.WriteUtcTime(issued.AddMinutes(-1));
                            if (entry.Reason is { } reason)
                            {
                                using (tbs.PushSequence())
                                {
                                    var value = new AsnWriter(AsnEncodingRules.DER);
                                    value.WriteEnumeratedValue(reason);
                                    WriteExtension(tbs, "2.5.29.21", false, value.Encode());
                                }
                            }
                        }
                    }
                }
            }

            using (tbs.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            using (tbs.PushSequence())
            {
                if (number is { } n)
                {
                    var value = new AsnWriter(AsnEncodingRules.DER);
                    value.WriteInteger(n);
                    WriteExtension(tbs, "2.5.29.20", false, value.Encode());
                }

                if (baseNumber is { } b)
                {
                    var value = new AsnWriter(AsnEncodingRules.DER);
                    value.WriteInteger(b);
                    WriteExtension(tbs, "2.5.29.27", criticalIndicator, value.Encode());
                }

                if (freshest is not null)
                {
                    WriteExtension(tbs, "2.5.29.46", false, DistributionPoints(freshest));
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

    /// <summary>A client certificate of the lab intermediate with a CRL distribution point and, when given, a Freshest CRL extension.</summary>
    public static X509Certificate2 ClientWithFreshestCrl(LabPki lab, string? crlDistributionPoint, string? freshest, string subject = "CN=Delta client")
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUserPrincipalName(lab.ClientPrincipal);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(lab.IntermediateWithKey, true, false));
        if (crlDistributionPoint is not null)
        {
            request.CertificateExtensions.Add(new X509Extension("2.5.29.31", DistributionPoints(crlDistributionPoint), false));
        }

        if (freshest is not null)
        {
            request.CertificateExtensions.Add(new X509Extension("2.5.29.46", DistributionPoints(freshest), false));
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 issued = request.Create(lab.IntermediateWithKey, now.AddDays(-1), now.AddDays(30), serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>The CRLDistributionPoints syntax with one URI (the Freshest CRL extension's value too).</summary>
    public static byte[] DistributionPoints(string uri)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence())
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
        {
            writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
        }

        return writer.Encode();
    }

    private static void WriteExtension(AsnWriter writer, string oid, bool critical, byte[] value) =>
        TestPki.WriteExtension(writer, oid, critical, value);
}
