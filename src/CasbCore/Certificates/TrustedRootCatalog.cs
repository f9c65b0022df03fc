using System.Security.Cryptography.X509Certificates;
using CasbCore.Model;

namespace CasbCore.Certificates;

/// <summary>The outcome of adding one certificate: the stored entry, and whether it was already there.</summary>
public sealed record TrustedRootAddResult(TrustedRootEntry Entry, bool Added);

/// <summary>
/// The store's trusted roots and intermediates (MDCA "Device identification"): which certificates may be added,
/// adding without duplicates, lookup and removal by thumbprint. Works on a <see cref="CasbConfiguration"/>
/// inside a store update; never talks to the user.
/// </summary>
public static class TrustedRootCatalog
{
    public const string NotACertificateAuthorityErrorId = "NotACertificateAuthority";
    public const string ExpiredErrorId = "CertificateAuthorityExpired";
    public const string NotYetValidErrorId = "CertificateAuthorityNotYetValid";
    public const string NotFoundErrorId = "TrustedRootNotFound";

    /// <summary>Upper-case hex without separators, so "ab:cd ef" and "ABCDEF" name the same certificate.</summary>
    public static string NormalizeThumbprint(string thumbprint)
    {
        ArgumentNullException.ThrowIfNull(thumbprint);
        return string.Concat(thumbprint.Where(c => !char.IsWhiteSpace(c) && c != ':')).ToUpperInvariant();
    }

    /// <summary>
    /// Self-signed (subject equals issuer and its own key verifies its signature) is a root; anything else an
    /// intermediate, including a certificate that merely carries its subject as issuer name.
    /// </summary>
    public static TrustedRootKind GetKind(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return SignatureAlgorithm.IsSelfSigned(certificate) ? TrustedRootKind.Root : TrustedRootKind.Intermediate;
    }

    /// <summary>True when the certificate carries basic constraints with CA=true (the validator's own test, so both agree).</summary>
    public static bool IsCertificateAuthority(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return CertificateExtensions.IsCertificateAuthority(certificate);
    }

    /// <summary>
    /// Throws NotACertificateAuthority for a certificate without CA=true, and (unless <paramref name="allowOutsideValidity"/>)
    /// CertificateAuthorityExpired / CertificateAuthorityNotYetValid for one outside its validity period at <paramref name="now"/>.
    /// </summary>
    public static void EnsureCanBeTrusted(X509Certificate2 certificate, DateTimeOffset now, bool allowOutsideValidity, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string from = source is null ? "" : $" (from '{source}')";
        if (!IsCertificateAuthority(certificate))
        {
            throw new CasbException(
                NotACertificateAuthorityErrorId, CasbErrorKind.InvalidData,
                $"'{certificate.Subject}'{from} is not a certificate authority (its basic constraints do not say CA=true). Add the root or issuing CA that signed it, not the device certificate.",
                source ?? certificate.Thumbprint);
        }

        if (allowOutsideValidity)
        {
            return;
        }

        DateTimeOffset notAfter = new(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        DateTimeOffset notBefore = new(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter < now)
        {
            throw new CasbException(
                ExpiredErrorId, CasbErrorKind.InvalidData,
                $"The certificate authority '{certificate.Subject}'{from} expired on {notAfter:u}. Use -Force to add it anyway.",
                source ?? certificate.Thumbprint);
        }

        if (notBefore > now)
        {
            throw new CasbException(
                NotYetValidErrorId, CasbErrorKind.InvalidData,
                $"The certificate authority '{certificate.Subject}'{from} is not valid before {notBefore:u}. Use -Force to add it anyway.",
                source ?? certificate.Thumbprint);
        }
    }

    public static TrustedRootEntry CreateEntry(X509Certificate2 certificate, DateTimeOffset addedAt)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new TrustedRootEntry
        {
            Thumbprint = NormalizeThumbprint(certificate.Thumbprint),
            Subject = certificate.Subject,
            Issuer = certificate.Issuer,
            Kind = GetKind(certificate),
            NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            AddedAt = addedAt,
            RawData = Convert.ToBase64String(certificate.RawData),
        };
    }

    /// <summary>
    /// Checks every certificate first, then adds those not yet present: all or none. A thumbprint already
    /// stored is returned as it is (Added = false) and changes nothing.
    /// </summary>
    public static IReadOnlyList<TrustedRootAddResult> Add(
        CasbConfiguration configuration,
        IEnumerable<X509Certificate2> certificates,
        DateTimeOffset now,
        bool allowOutsideValidity,
        string? source = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(certificates);
        List<X509Certificate2> list = certificates.ToList();
        foreach (X509Certificate2 certificate in list)
        {
            EnsureCanBeTrusted(certificate, now, allowOutsideValidity, source);
        }

        var results = new List<TrustedRootAddResult>(list.Count);
        foreach (X509Certificate2 certificate in list)
        {
            TrustedRootEntry? existing = Find(configuration, certificate.Thumbprint);
            if (existing is not null)
            {
                results.Add(new TrustedRootAddResult(existing, Added: false));
                continue;
            }

            TrustedRootEntry entry = CreateEntry(certificate, now);
            configuration.TrustedRoots.Add(entry);
            results.Add(new TrustedRootAddResult(entry, Added: true));
        }

        return results;
    }

    /// <summary>The entry with this thumbprint (any case, separators ignored), or null.</summary>
    public static TrustedRootEntry? Find(CasbConfiguration configuration, string thumbprint)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string normalized = NormalizeThumbprint(thumbprint);
        return configuration.TrustedRoots.FirstOrDefault(
            r => string.Equals(NormalizeThumbprint(r.Thumbprint), normalized, StringComparison.Ordinal));
    }

    /// <summary>
    /// Removes a trusted CA and the CRLs it issued that no other trusted certificate of the same CA (renewed with its
    /// key, cross-signed) verifies; throws TrustedRootNotFound when there is none.
    /// </summary>
    public static TrustedRootEntry Remove(CasbConfiguration configuration, string thumbprint)
    {
        TrustedRootEntry entry = Find(configuration, thumbprint) ?? throw NotFound(thumbprint);
        configuration.TrustedRoots.Remove(entry);
        RevocationLists.RemoveOrphansOf(configuration, entry.Thumbprint);
        return entry;
    }

    public static CasbException NotFound(string thumbprint) =>
        new(NotFoundErrorId, CasbErrorKind.ObjectNotFound, $"No trusted root with thumbprint '{thumbprint}' is in the store.", thumbprint);

    /// <summary>The certificate stored in an entry.</summary>
    public static X509Certificate2 ToCertificate(TrustedRootEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return X509CertificateLoader.LoadCertificate(Convert.FromBase64String(entry.RawData));
    }

    /// <summary>All stored roots and intermediates as certificates (for chain building).</summary>
    public static X509Certificate2Collection ToCollection(CasbConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var collection = new X509Certificate2Collection();
        foreach (TrustedRootEntry entry in configuration.TrustedRoots)
        {
            collection.Add(ToCertificate(entry));
        }

        return collection;
    }
}
