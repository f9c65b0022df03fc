using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore.Catalogs;

/// <summary>The gateway-wide settings: changed field by field inside a store update.</summary>
public static class GatewaySettingsCatalog
{
    /// <summary>
    /// Normalizes a change: InvalidTrustedProxy for an address or range the engine cannot parse, InvalidIdentityHeader
    /// for a header the gateway must not trust (an empty one clears it).
    /// </summary>
    public static GatewaySettingsChange Prepare(GatewaySettingsChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.IdentityHeader is { } header && ConfigurationValidator.IdentityHeaderProblem(header) is { } problem)
        {
            throw new CasbException(
                "InvalidIdentityHeader", CasbErrorKind.InvalidArgument, $"The identity header '{header}' cannot be used: {problem}.", header);
        }

        return change with { TrustedProxies = change.TrustedProxies is null ? null : ConfigurationInput.TrustedProxies(change.TrustedProxies) };
    }

    public static GatewaySettings Change(CasbConfiguration configuration, GatewaySettingsChange change)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        change = Prepare(change);
        GatewaySettings settings = configuration.Settings;
        settings.DefaultAction = change.DefaultAction ?? settings.DefaultAction;
        settings.RevocationMode = change.RevocationMode ?? settings.RevocationMode;
        settings.TrustedProxies = change.TrustedProxies?.ToList() ?? settings.TrustedProxies;
        settings.IdentityHeader = change.IdentityHeader ?? settings.IdentityHeader;
        settings.ActivityRetentionDays = change.ActivityRetentionDays ?? settings.ActivityRetentionDays;
        settings.ActivityVolume = change.ActivityVolume ?? settings.ActivityVolume;
        settings.CrlCacheMinutes = change.CrlCacheMinutes ?? settings.CrlCacheMinutes;
        settings.CrlFetchTimeoutSeconds = change.CrlFetchTimeoutSeconds ?? settings.CrlFetchTimeoutSeconds;
        settings.CertificateUserMismatch = change.CertificateUserMismatch ?? settings.CertificateUserMismatch;
        settings.BlockPageDetail = change.BlockPageDetail ?? settings.BlockPageDetail;
        settings.AllowWeakCertificateCryptography = change.AllowWeakCertificateCryptography ?? settings.AllowWeakCertificateCryptography;
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return settings;
    }
}
