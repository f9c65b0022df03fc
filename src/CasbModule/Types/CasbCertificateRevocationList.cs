using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>A certificate revocation list in the store, from Add- or Get-CasbCertificateRevocationList.</summary>
public sealed class CasbCertificateRevocationList
{
    internal CasbCertificateRevocationList(RevocationListEntry entry, string storePath, GatewaySettings settings)
    {
        CurrentUntil = RevocationLists.CurrentUntil(entry, settings);
        Issuer = DisplayText.Safe(entry.Issuer);
        ThisUpdate = entry.ThisUpdate;
        NextUpdate = entry.NextUpdate;
        CrlNumber = DisplayText.Safe(entry.CrlNumber);
        BaseCrlNumber = DisplayText.Safe(entry.BaseCrlNumber);
        RevokedCount = entry.RevokedCount;
        RetiredCount = entry.Retired?.Count ?? 0;
        IssuerThumbprint = DisplayText.Safe(entry.IssuerThumbprint);
        Id = DisplayText.Safe(entry.Id);
        AddedAt = entry.AddedAt;
        Source = DisplayText.Safe(entry.Source);
        StorePath = DisplayText.Safe(storePath);
        ExactStorePath = storePath;
    }

    /// <summary>The CA that issued (and signed) the CRL.</summary>
    public string Issuer { get; }

    public DateTimeOffset ThisUpdate { get; }

    /// <summary>When the CA promises a newer CRL; past it the CRL no longer establishes revocation status.</summary>
    public DateTimeOffset? NextUpdate { get; }

    public string? CrlNumber { get; }

    /// <summary>True for a delta CRL: it lists only the changes since the complete CRL numbered <see cref="BaseCrlNumber"/>.</summary>
    public bool IsDelta => BaseCrlNumber is not null;

    /// <summary>A delta CRL's BaseCRLNumber: it completes the stored complete CRL of its CA numbered at least this; null for a complete CRL.</summary>
    public string? BaseCrlNumber { get; }

    public int RevokedCount { get; }

    /// <summary>
    /// Revocations that the CRLs this one replaced listed and it does not (a CA that dropped an entry, or a delta's entry its
    /// next complete CRL forgot): those certificates stay revoked. Removing the CRL forgets them.
    /// </summary>
    public int RetiredCount { get; }

    /// <summary>Thumbprint of the trusted root or intermediate whose key verified the CRL's signature.</summary>
    public string IssuerThumbprint { get; }

    /// <summary>SHA-256 of the DER CRL: the id Remove-CasbCertificateRevocationList takes.</summary>
    public string Id { get; }

    public DateTimeOffset AddedAt { get; }

    /// <summary>The file the CRL was added from.</summary>
    public string? Source { get; }

    /// <summary>Until when the gateway counts the CRL as current: its nextUpdate, else (it has none) the CRL cache period (CrlCacheMinutes) after its thisUpdate.</summary>
    public DateTimeOffset CurrentUntil { get; }

    /// <summary>True while <see cref="CurrentUntil"/> has not passed, as the gateway sees it.</summary>
    public bool IsCurrent => DateTimeOffset.UtcNow < CurrentUntil;

    public string StorePath { get; }

    /// <summary>The store path as given, for the cmdlets that change a piped item in its own store.</summary>
    internal string ExactStorePath { get; }
}
