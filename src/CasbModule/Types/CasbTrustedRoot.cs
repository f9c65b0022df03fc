using CasbCore;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>A root or intermediate CA the store trusts for client-certificate device identification.</summary>
public sealed class CasbTrustedRoot
{
    private readonly string _rawData;

    internal CasbTrustedRoot(TrustedRootEntry entry, string storePath)
    {
        Thumbprint = DisplayText.Safe(entry.Thumbprint);
        Subject = DisplayText.Safe(entry.Subject);
        Issuer = DisplayText.Safe(entry.Issuer);
        Kind = entry.Kind;
        NotBefore = entry.NotBefore;
        NotAfter = entry.NotAfter;
        AddedAt = entry.AddedAt;
        StorePath = DisplayText.Safe(storePath);
        ExactStorePath = storePath;
        _rawData = entry.RawData;
    }

    public string Thumbprint { get; }

    public string Subject { get; }

    public string Issuer { get; }

    public TrustedRootKind Kind { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    public DateTimeOffset AddedAt { get; }

    public string StorePath { get; }

    /// <summary>The store path as given, for the cmdlets that change a piped item in its own store.</summary>
    internal string ExactStorePath { get; }

    /// <summary>True when the CA is outside its validity period now.</summary>
    public bool IsExpired => NotAfter < DateTimeOffset.UtcNow;

    /// <summary>The stored certificate (public part only).</summary>
    public X509Certificate2 GetCertificate() =>
        TrustedRootCatalog.ToCertificate(new TrustedRootEntry { RawData = _rawData });

    public override string ToString() => Thumbprint;
}
