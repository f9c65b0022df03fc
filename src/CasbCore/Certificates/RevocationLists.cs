using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Model;

namespace CasbCore.Certificates;

/// <summary>What adding a CRL to the store did.</summary>
public enum RevocationListChange
{
    Added,
    Replaced,
    Unchanged,
}

/// <summary>The store's CRLs: the rules Add-CasbCertificateRevocationList applies inside a store update.</summary>
public static class RevocationLists
{
    public const string WeakSignatureErrorId = "CrlWeakSignature";

    /// <summary>
    /// Adds <paramref name="crl"/> to <paramref name="configuration"/>: its issuer must be one of the store's trusted
    /// roots or intermediates (by name) and its signature must verify with that CA's key. A CRL past its nextUpdate is
    /// refused unless <paramref name="force"/>; a newer CRL of the same issuer and scope (<see cref="CertificateRevocationList.Scope"/>:
    /// partitions are kept side by side) replaces the stored one, an older one is refused unless <paramref name="force"/>. A CRL signed with an algorithm the validator does not accept (SHA-1 unless
    /// the store allows weak certificate cryptography; MD5 never) is refused, -Force or not: it could never vouch for a
    /// certificate. Throws <see cref="CasbException"/>: CrlIssuerNotTrusted, CrlSignatureInvalid, CrlWeakSignature,
    /// CrlExpired, CrlOlderThanStored. (Parsing refuses CrlUnreadable and CrlMalformed before this.)
    /// </summary>
    public static (RevocationListEntry Entry, RevocationListChange Change) Add(
        CasbConfiguration configuration,
        CertificateRevocationList crl,
        bool force,
        DateTimeOffset now,
        string? source = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(crl);
        string what = source is null ? $"The CRL of '{crl.Issuer.Name}'" : $"The CRL '{source}' (issuer '{crl.Issuer.Name}')";

        X509Certificate2 issuer = FindIssuer(configuration, crl, what, source);
        if (crl.SignatureProblem(configuration.Settings.AllowWeakCertificateCryptography) is { } weak)
        {
            throw new CasbException(WeakSignatureErrorId, CasbErrorKind.SecurityError, $"{what} was not added: {weak}.", source);
        }

        RevocationListEntry? existing = configuration.RevocationLists.FirstOrDefault(e => e.Id == crl.Id);
        if (existing is not null)
        {
            return (existing, RevocationListChange.Unchanged);
        }

        if (!crl.IsCurrentAt(now) && !force)
        {
            throw new CasbException(
                "CrlExpired", CasbErrorKind.InvalidData,
                $"{what} is out of date: its nextUpdate {crl.NextUpdate:u} has passed. Get a current CRL from the CA, or use -Force to store it anyway.",
                source);
        }

        // Only a CRL of the same scope is superseded: the partitions of one issuer (issuing distribution points) are
        // kept side by side, since each is the only list of what it revoked.
        List<RevocationListEntry> sameIssuer = configuration.RevocationLists
            .Where(e => string.Equals(e.IssuerThumbprint, issuer.Thumbprint, StringComparison.OrdinalIgnoreCase) && ScopeOf(e) == crl.Scope)
            .ToList();
        foreach (RevocationListEntry stored in sameIssuer)
        {
            if (!IsNewer(crl, stored) && !force)
            {
                throw new CasbException(
                    "CrlOlderThanStored", CasbErrorKind.InvalidData,
                    $"{what} (CRL number {Describe(crl.CrlNumber?.ToString())}, thisUpdate {crl.ThisUpdate:u}) is not newer than the stored one (CRL number {Describe(stored.CrlNumber)}, thisUpdate {stored.ThisUpdate:u}). Use -Force to replace it anyway.",
                    source);
            }
        }

        configuration.RevocationLists.RemoveAll(e => sameIssuer.Contains(e));
        var entry = new RevocationListEntry
        {
            Id = crl.Id,
            Issuer = crl.Issuer.Name,
            IssuerThumbprint = issuer.Thumbprint,
            ThisUpdate = crl.ThisUpdate,
            NextUpdate = crl.NextUpdate,
            CrlNumber = crl.CrlNumber?.ToString(CultureInfo.InvariantCulture),
            RevokedCount = crl.RevokedCertificates.Count,
            AddedAt = now,
            Source = source,
            RawData = Convert.ToBase64String(crl.RawData),
        };
        configuration.RevocationLists.Add(entry);
        return (entry, sameIssuer.Count > 0 ? RevocationListChange.Replaced : RevocationListChange.Added);
    }

    /// <summary>The stored CRL with this id (SHA-256 hex, any case), or null.</summary>
    public static RevocationListEntry? Find(CasbConfiguration configuration, string id)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.RevocationLists.FirstOrDefault(e => string.Equals(e.Id, id, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Removes the stored CRL with this id; null when there is none (nothing changes).</summary>
    public static RevocationListEntry? Remove(CasbConfiguration configuration, string id)
    {
        RevocationListEntry? entry = Find(configuration, id);
        if (entry is not null)
        {
            configuration.RevocationLists.Remove(entry);
        }

        return entry;
    }

    /// <summary>The trusted root or intermediate that signed <paramref name="crl"/>.</summary>
    public static X509Certificate2 FindIssuer(CasbConfiguration configuration, CertificateRevocationList crl, string what, string? source)
    {
        List<X509Certificate2> candidates = IssuerCandidates(configuration, crl);
        if (candidates.Count == 0)
        {
            throw new CasbException(
                "CrlIssuerNotTrusted", CasbErrorKind.SecurityError,
                $"{what} is issued by '{crl.Issuer.Name}', which is not a trusted root or intermediate in the store. Add the CA with Add-CasbTrustedRoot first.",
                source);
        }

        X509Certificate2? signer = candidates.FirstOrDefault(crl.IsSignedBy);
        return signer ?? throw new CasbException(
            "CrlSignatureInvalid", CasbErrorKind.SecurityError,
            $"{what} names '{crl.Issuer.Name}' as its issuer, but its signature does not verify with that CA's key (or the CA may not sign CRLs). It was not added.",
            source);
    }

    /// <summary>
    /// After a trusted CA left <paramref name="configuration"/>: the stored CRLs it issued that no remaining CA verifies
    /// are removed; a CRL that another certificate of the same CA verifies (renewed with its key, or cross-signed) stays,
    /// under that certificate's thumbprint, since the validator still finds it by name and signature.
    /// </summary>
    public static void RemoveOrphansOf(CasbConfiguration configuration, string issuerThumbprint)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (RevocationListEntry entry in configuration.RevocationLists
                     .Where(e => string.Equals(e.IssuerThumbprint, issuerThumbprint, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            X509Certificate2? signer = null;
            try
            {
                CertificateRevocationList crl = CertificateRevocationList.Parse(Convert.FromBase64String(entry.RawData));
                signer = IssuerCandidates(configuration, crl).FirstOrDefault(crl.IsSignedBy);
            }
            catch (Exception ex) when (ex is FormatException or CasbException)
            {
                // Unreadable: nothing can verify it, so it goes with its CA.
            }

            if (signer is null)
            {
                configuration.RevocationLists.Remove(entry);
            }
            else
            {
                entry.IssuerThumbprint = signer.Thumbprint;
            }
        }
    }

    private static List<X509Certificate2> IssuerCandidates(CasbConfiguration configuration, CertificateRevocationList crl)
    {
        var candidates = new List<X509Certificate2>();
        foreach (TrustedRootEntry entry in configuration.TrustedRoots)
        {
            try
            {
                X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(entry.RawData));
                if (crl.IsIssuedByName(certificate))
                {
                    candidates.Add(certificate);
                }
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException)
            {
                // An unreadable store entry cannot be an issuer.
            }
        }

        return candidates;
    }

    // A stored CRL that cannot be read is treated as one of the whole issuer (the one a new CRL replaces, as before).
    private static string ScopeOf(RevocationListEntry stored)
    {
        try
        {
            return CertificateRevocationList.Parse(Convert.FromBase64String(stored.RawData)).Scope;
        }
        catch (Exception ex) when (ex is FormatException or CasbException)
        {
            return "";
        }
    }

    private static bool IsNewer(CertificateRevocationList crl, RevocationListEntry stored)
    {
        if (crl.CrlNumber is { } number
            && System.Numerics.BigInteger.TryParse(stored.CrlNumber, NumberStyles.Integer, CultureInfo.InvariantCulture, out var storedNumber)
            && number != storedNumber)
        {
            return number > storedNumber;
        }

        return crl.ThisUpdate > stored.ThisUpdate;
    }

    private static string Describe(string? crlNumber) => crlNumber ?? "none";
}
