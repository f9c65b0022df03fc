using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CasbCore.Certificates;

/// <summary>Reads the certificate extensions the BCL has no typed accessor for (SAN otherName/rfc822Name, CRL distribution points).</summary>
public static class CertificateExtensions
{
    public const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";
    public const string UserPrincipalNameOid = "1.3.6.1.4.1.311.20.2.3";
    private const string SubjectAlternativeNameOid = "2.5.29.17";
    private const string CrlDistributionPointsOid = "2.5.29.31";

    /// <summary>The user a client certificate names: UPN SAN, else e-mail SAN, else the subject CN; null when none.</summary>
    public static string? GetPrincipal(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string? upn = null;
        string? email = null;
        X509Extension? san = certificate.Extensions[SubjectAlternativeNameOid];
        if (san is not null)
        {
            var names = new AsnReader(san.RawData, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                Asn1Tag tag = names.PeekTag();
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 0 && upn is null)
                {
                    AsnReader otherName = names.ReadSequence(tag);
                    string oid = otherName.ReadObjectIdentifier();
                    AsnReader value = otherName.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
                    if (oid == UserPrincipalNameOid && value.PeekTag().HasSameClassAndValue(new Asn1Tag(UniversalTagNumber.UTF8String)))
                    {
                        upn = value.ReadCharacterString(UniversalTagNumber.UTF8String);
                    }
                }
                else if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 1 && email is null)
                {
                    email = names.ReadCharacterString(UniversalTagNumber.IA5String, tag);
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }

        string? principal = NullIfBlank(upn) ?? NullIfBlank(email) ?? NullIfBlank(certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        return principal?.Trim();
    }

    /// <summary>The http/https URLs in the certificate's CRL distribution points extension (other schemes are skipped).</summary>
    public static IReadOnlyList<Uri> GetCrlDistributionPoints(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        X509Extension? extension = certificate.Extensions[CrlDistributionPointsOid];
        if (extension is null)
        {
            return Array.Empty<Uri>();
        }

        var result = new List<Uri>();
        AsnReader points = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
        while (points.HasData)
        {
            AsnReader point = points.ReadSequence();
            if (!point.HasData || !point.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                continue;
            }

            AsnReader name = point.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
            if (!name.HasData || !name.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                continue; // nameRelativeToCRLIssuer: no URL to fetch
            }

            AsnReader fullName = name.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
            while (fullName.HasData)
            {
                Asn1Tag tag = fullName.PeekTag();
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 6)
                {
                    string uri = fullName.ReadCharacterString(UniversalTagNumber.IA5String, tag);
                    if (Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed)
                        && (parsed.Scheme == Uri.UriSchemeHttp || parsed.Scheme == Uri.UriSchemeHttps))
                    {
                        result.Add(parsed);
                    }
                }
                else
                {
                    fullName.ReadEncodedValue();
                }
            }
        }

        return result;
    }

    /// <summary>True when the certificate's basic constraints say it is a CA.</summary>
    public static bool IsCertificateAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()?.CertificateAuthority == true;

    /// <summary>The OIDs of the certificate's extended key usages, or null when it has no EKU extension.</summary>
    public static IReadOnlyList<string>? GetExtendedKeyUsages(X509Certificate2 certificate)
    {
        X509EnhancedKeyUsageExtension? eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        return eku?.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value ?? "").ToArray();
    }

    /// <summary>SHA-256 of the DER certificate, hex: the key of the validator's result cache.</summary>
    public static string GetSha256Thumbprint(X509Certificate2 certificate) =>
        Convert.ToHexString(SHA256.HashData(certificate.RawData));

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
