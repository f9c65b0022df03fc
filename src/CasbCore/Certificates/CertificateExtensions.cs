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
    private const string FreshestCrlOid = "2.5.29.46";
    private const string CommonNameOid = "2.5.4.3";

    /// <summary>The user a client certificate names: UPN SAN, else e-mail SAN, else the subject CN; null when none or when the SAN is malformed.</summary>
    public static string? GetPrincipal(X509Certificate2 certificate) => ReadIdentity(certificate).Principal;

    /// <summary>
    /// The user a client certificate names (the first UPN otherName, else the first rfc822Name, else the subject CN)
    /// and where it came from. Every UPN and e-mail name in the SAN must be a well-formed "name@domain" (see
    /// <see cref="IdentityNameProblem"/>), else <see cref="CertificateIdentity.Problem"/> says which is not and
    /// there is no principal: a name the platform would read leniently is no name at all.
    /// </summary>
    public static CertificateIdentity ReadIdentity(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string? upn = null;
        string? email = null;
        X509Extension? san = certificate.Extensions[SubjectAlternativeNameOid];
        if (san is not null)
        {
            try
            {
                var outer = new AsnReader(san.RawData, AsnEncodingRules.DER);
                AsnReader names = outer.ReadSequence();
                outer.ThrowIfNotEmpty();
                if (!names.HasData)
                {
                    return Malformed("it lists no names");
                }

                while (names.HasData)
                {
                    Asn1Tag tag = names.PeekTag();
                    if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 0)
                    {
                        AsnReader otherName = names.ReadSequence(tag);
                        string oid = otherName.ReadObjectIdentifier();
                        AsnReader value = otherName.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
                        if (oid != UserPrincipalNameOid)
                        {
                            continue;
                        }

                        if (!value.PeekTag().HasSameClassAndValue(new Asn1Tag(UniversalTagNumber.UTF8String)))
                        {
                            return Malformed("its user principal name is not a UTF8String");
                        }

                        string name = value.ReadCharacterString(UniversalTagNumber.UTF8String);
                        value.ThrowIfNotEmpty();
                        otherName.ThrowIfNotEmpty();
                        if (IdentityNameProblem(name) is { } problem)
                        {
                            return Malformed($"its user principal name '{Printable(name)}' {problem}");
                        }

                        upn ??= name;
                    }
                    else if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 1)
                    {
                        string name = names.ReadCharacterString(UniversalTagNumber.IA5String, tag);
                        if (IdentityNameProblem(name) is { } problem)
                        {
                            return Malformed($"its e-mail name '{Printable(name)}' {problem}");
                        }

                        email ??= name;
                    }
                    else
                    {
                        names.ReadEncodedValue();
                    }
                }
            }
            catch (Exception ex) when (ex is AsnContentException or CryptographicException or ArgumentException)
            {
                return Malformed($"it cannot be decoded ({ex.Message})");
            }
        }

        if (upn is not null)
        {
            return new CertificateIdentity(upn, PrincipalSource.UserPrincipalName, null);
        }

        if (email is not null)
        {
            return new CertificateIdentity(email, PrincipalSource.Email, null);
        }

        string? commonName = SubjectCommonName(certificate)?.Trim();
        return string.IsNullOrEmpty(commonName)
            ? new CertificateIdentity(null, PrincipalSource.None, null)
            : new CertificateIdentity(commonName, PrincipalSource.CommonName, null);

        static CertificateIdentity Malformed(string why) =>
            new(null, PrincipalSource.None, $"The subject alternative name extension is malformed: {why}.");
    }

    /// <summary>
    /// The subject's first common name (display order, as the platform's simple name reads it), or null when it has none.
    /// Read here rather than through the platform's simple name, which without a CN falls back to other attributes
    /// (locality, title, surname, street, ...): those name no user.
    /// </summary>
    private static string? SubjectCommonName(X509Certificate2 certificate)
    {
        foreach (X500RelativeDistinguishedName rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (!rdn.HasMultipleElements && rdn.GetSingleElementType().Value == CommonNameOid)
            {
                return rdn.GetSingleElementValue();
            }
        }

        return null;
    }

    /// <summary>
    /// Null when <paramref name="name"/> is a well-formed user name "local@domain" (a UPN or an e-mail address), else
    /// why not: exactly one '@'; a local part without white space, control or invisible formatting characters, or any of
    /// <c>"\&lt;&gt;,;:()[]</c>; a domain of dot-separated labels of ASCII letters, digits and hyphens (IDNs in their
    /// xn-- form), each 1 to 63 characters, not starting or ending with a hyphen.
    /// </summary>
    public static string? IdentityNameProblem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int at = name.IndexOf('@');
        if (at < 0 || at != name.LastIndexOf('@'))
        {
            return "must contain exactly one '@'";
        }

        if (at == 0)
        {
            return "has nothing before the '@'";
        }

        for (int i = 0; i < at; i++)
        {
            char c = name[i];
            if ("\"\\<>,;:()[]".Contains(c) || char.IsWhiteSpace(c) || !IsVisible(c))
            {
                return $"contains the character U+{(int)c:X4} in its local part";
            }
        }

        string domain = name[(at + 1)..];
        if (domain.Length is 0 or > 253)
        {
            return "must have a domain of 1 to 253 characters after the '@'";
        }

        foreach (string label in domain.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return $"has an invalid domain label '{label}'";
            }

            foreach (char c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return $"contains the character U+{(int)c:X4} in its domain";
                }
            }
        }

        return null;
    }

    private static bool IsVisible(char c) => char.GetUnicodeCategory(c) is not (
        System.Globalization.UnicodeCategory.Control
        or System.Globalization.UnicodeCategory.Format
        or System.Globalization.UnicodeCategory.Surrogate
        or System.Globalization.UnicodeCategory.PrivateUse
        or System.Globalization.UnicodeCategory.OtherNotAssigned
        or System.Globalization.UnicodeCategory.LineSeparator
        or System.Globalization.UnicodeCategory.ParagraphSeparator
        or System.Globalization.UnicodeCategory.SpaceSeparator);

    /// <summary>A name as it can be shown in a message: at most 100 characters, controls and bidi marks escaped.</summary>
    private static string Printable(string name) => DisplayText.Safe(name.Length > 100 ? name[..100] : name);

    /// <summary>The http/https URLs in the certificate's CRL distribution points extension (other schemes are skipped).</summary>
    public static IReadOnlyList<Uri> GetCrlDistributionPoints(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.Extensions[CrlDistributionPointsOid] is { } extension ? ReadDistributionPointUris(extension.RawData) : Array.Empty<Uri>();
    }

    /// <summary>
    /// The http(s) URLs of the certificate's Freshest CRL extension (RFC 5280 4.2.1.15): where its issuer publishes
    /// the delta CRL that completes the CRL at its distribution points. Empty when it has none.
    /// </summary>
    public static IReadOnlyList<Uri> GetFreshestCrlLocations(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.Extensions[FreshestCrlOid] is { } extension ? ReadDistributionPointUris(extension.RawData) : Array.Empty<Uri>();
    }

    /// <summary>
    /// True when the certificate has a Freshest CRL extension, whatever its locations: its issuer publishes delta CRLs, so
    /// a complete CRL alone cannot prove it unrevoked (even when no location is one the gateway can fetch, such as ldap:///).
    /// </summary>
    public static bool AnnouncesDeltaCrl(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.Extensions[FreshestCrlOid] is not null;
    }

    /// <summary>The http(s) URLs in the full names of a CRLDistributionPoints value (also the Freshest CRL extension's syntax).</summary>
    internal static IReadOnlyList<Uri> ReadDistributionPointUris(ReadOnlyMemory<byte> value)
    {
        var result = new List<Uri>();
        foreach (AsnReader fullName in DistributionPointFullNames(value))
        {
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

    /// <summary>
    /// Every general name (DER, hex) in the full names of the certificate's CRL distribution points, whatever their kind:
    /// what a partitioned CRL's issuing distribution point is matched against (RFC 5280 6.3.3 b.2.i). Empty when there
    /// are none; a point named relative to the CRL issuer adds nothing (it never matches a CRL here).
    /// </summary>
    public static IReadOnlySet<string> GetCrlDistributionPointNames(X509Certificate2 certificate)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (AsnReader fullName in CrlDistributionPointFullNames(certificate))
        {
            result.UnionWith(ReadEncodedNames(fullName));
        }

        return result;
    }

    /// <summary>
    /// The fullName (GeneralNames) of each of the certificate's CRL distribution points; a point without a name, or named
    /// relative to the CRL issuer, gives none.
    /// </summary>
    private static IEnumerable<AsnReader> CrlDistributionPointFullNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.Extensions[CrlDistributionPointsOid] is { } extension ? DistributionPointFullNames(extension.RawData) : Array.Empty<AsnReader>();
    }

    private static IEnumerable<AsnReader> DistributionPointFullNames(ReadOnlyMemory<byte> value)
    {
        var fullNameTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        AsnReader points = new AsnReader(value, AsnEncodingRules.DER).ReadSequence();
        while (points.HasData)
        {
            AsnReader point = points.ReadSequence();
            if (!point.HasData || !point.PeekTag().HasSameClassAndValue(fullNameTag))
            {
                continue;
            }

            AsnReader name = point.ReadSequence(fullNameTag);
            if (name.HasData && name.PeekTag().HasSameClassAndValue(fullNameTag))
            {
                yield return name.ReadSequence(fullNameTag);
            }
        }
    }

    /// <summary>The DER encodings (hex) of the general names in a GeneralNames sequence.</summary>
    internal static IEnumerable<string> ReadEncodedNames(AsnReader generalNames)
    {
        var names = new List<string>();
        while (generalNames.HasData)
        {
            names.Add(Convert.ToHexString(generalNames.ReadEncodedValue().Span));
        }

        return names;
    }

    /// <summary>anyExtendedKeyUsage: a CA with it may vouch for any usage.</summary>
    public const string AnyExtendedKeyUsageOid = "2.5.29.37.0";

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

}
