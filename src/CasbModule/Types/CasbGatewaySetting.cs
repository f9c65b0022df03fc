using CasbCore;
using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>The gateway-wide settings of a store.</summary>
public sealed class CasbGatewaySetting
{
    internal CasbGatewaySetting(GatewaySettings settings, string storePath, long revision)
    {
        DefaultAction = settings.DefaultAction;
        RevocationMode = settings.RevocationMode;
        TrustedProxies = DisplayText.SafeAll(settings.TrustedProxies);
        IdentityHeader = DisplayText.Safe(settings.IdentityHeader);
        CertificateUserMismatch = settings.CertificateUserMismatch;
        ActivityRetentionDays = settings.ActivityRetentionDays;
        ActivityVolume = settings.ActivityVolume;
        CrlCacheMinutes = settings.CrlCacheMinutes;
        CrlFetchTimeoutSeconds = settings.CrlFetchTimeoutSeconds;
        BlockPageDetail = settings.BlockPageDetail;
        AllowWeakCertificateCryptography = settings.AllowWeakCertificateCryptography;
        StorePath = DisplayText.Safe(storePath);
        Revision = revision;
    }

    public DefaultAction DefaultAction { get; }

    public RevocationCheckMode RevocationMode { get; }

    public string[] TrustedProxies { get; }

    public string IdentityHeader { get; }

    public CertificateUserMismatchAction CertificateUserMismatch { get; }

    public int ActivityRetentionDays { get; }

    /// <summary>Summary (default) or Full: what the activity log keeps record by record.</summary>
    public ActivityVolume ActivityVolume { get; }

    public int CrlCacheMinutes { get; }

    public int CrlFetchTimeoutSeconds { get; }

    public BlockPageDetail BlockPageDetail { get; }

    /// <summary>Whether certificates, CAs and CRLs with 1024-bit RSA/DSA keys, small curves or SHA-1 signatures are accepted.</summary>
    public bool AllowWeakCertificateCryptography { get; }

    public string StorePath { get; }

    public long Revision { get; }
}
