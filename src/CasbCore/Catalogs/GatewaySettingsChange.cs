using CasbCore.Model;

namespace CasbCore.Catalogs;

/// <summary>What Set-CasbGatewaySetting changes; a null property stays as it is.</summary>
public sealed record GatewaySettingsChange
{
    public DefaultAction? DefaultAction { get; init; }

    public RevocationCheckMode? RevocationMode { get; init; }

    /// <summary>Replaces the trusted sign-in proxies (an empty list removes them all).</summary>
    public IReadOnlyList<string>? TrustedProxies { get; init; }

    public string? IdentityHeader { get; init; }

    public int? ActivityRetentionDays { get; init; }

    public ActivityVolume? ActivityVolume { get; init; }

    public int? CrlCacheMinutes { get; init; }

    public int? CrlFetchTimeoutSeconds { get; init; }

    public BlockPageDetail? BlockPageDetail { get; init; }

    public bool? AllowWeakCertificateCryptography { get; init; }

    public CertificateUserMismatchAction? CertificateUserMismatch { get; init; }
}
