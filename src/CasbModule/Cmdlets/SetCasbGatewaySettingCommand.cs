using System.Management.Automation;
using CasbCore.Model;
using CasbCore;
using CasbCore.Catalogs;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Changes the gateway-wide settings of a CASB store.</para>
/// <para type="description">Sets the default action for requests that no access policy blocks (Allow, as Defender for Cloud Apps does, or Block for default-deny), the revocation mode for client certificates (None, Optional, Required), the sign-in proxies whose identity header is trusted, the activity-log retention and volume, and whether the block page tells a blocked person why their device was not recognized (BlockPageDetail). Only the parameters given change. A running gateway picks the change up without a restart.</para>
/// </summary>
/// <example>
/// <code>Set-CasbGatewaySetting -DefaultAction Block</code>
/// <para>Default-deny: a request that no access policy explicitly handles is blocked.</para>
/// </example>
/// <example>
/// <code>Set-CasbGatewaySetting -RevocationMode Required -PassThru</code>
/// <para>Blocks client certificates whose revocation status cannot be established, and shows the new settings.</para>
/// </example>
/// <example>
/// <code>Set-CasbGatewaySetting -AllowWeakCertificateCryptography $true</code>
/// <para>Lets legacy devices in whose certificates (or CAs, or CRLs) use 1024-bit RSA keys or SHA-1 signatures; $false refuses them again (the default).</para>
/// </example>
/// <example>
/// <code>Set-CasbGatewaySetting -TrustedProxy 10.0.0.5, 10.1.0.0/16 -IdentityHeader X-Signed-In-User</code>
/// <para>Honours the X-Signed-In-User header only when the request comes from 10.0.0.5 or 10.1.0.0/16.</para>
/// </example>
/// <example>
/// <code>Set-CasbGatewaySetting -IdentityHeader $null -TrustedProxy @()</code>
/// <para>Trusts no identity header and no sign-in proxy: users come only from client certificates.</para>
/// </example>
/// <example>
/// <code>Set-CasbGatewaySetting -ActivityVolume Full</code>
/// <para>Logs every request verbatim instead of counting the allowed ones per user, app, device and minute.</para>
/// </example>
/// <example>
/// <code>Set-CasbGatewaySetting -BlockPageDetail None</code>
/// <para>The block page shows the block message, the app and the correlation id only, not why the device was not recognized.</para>
/// </example>
/// <example>
/// <code>Set-CasbGatewaySetting -CertificateUserMismatch Block</code>
/// <para>Blocks a session signed in as one user on a device whose client certificate names another.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "CasbGatewaySetting", SupportsShouldProcess = true)]
[OutputType(typeof(CasbGatewaySetting))]
public sealed class SetCasbGatewaySettingCommand : CasbStoreCmdlet
{
    /// <summary><para>What happens to a request that no access policy blocks: Allow or Block.</para></summary>
    [Parameter]
    public DefaultAction DefaultAction { get; set; }

    /// <summary><para>Client-certificate revocation checking: None, Optional (revoked fails, unknown passes) or Required (unknown fails too).</para></summary>
    [Parameter]
    public RevocationCheckMode RevocationMode { get; set; }

    /// <summary><para>Addresses or CIDR ranges of sign-in proxies whose identity header is honoured. An empty array removes them all. A request from one of them has the client address its X-Forwarded-For (or Forwarded) header names last; without either header the client's address is unknown (in no IP range), never the proxy's own. List the proxies themselves, not the ranges their clients are in: a client inside a listed range is taken for a proxy.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? TrustedProxy { get; set; }

    /// <summary><para>The header a trusted sign-in proxy sets to the signed-in user's name (default X-Casb-User). It must be a header of your own, such as X-Signed-In-User: standard request headers (Host, User-Agent, Cookie, Authorization, Accept-*, Content-*, ...), hop-by-hop headers (Connection, Transfer-Encoding, ...), proxy and trace headers (X-Forwarded-*, Forwarded, traceparent, ...) and the client-certificate headers the gateway handles are refused with the error id InvalidIdentityHeader. The header is read as a list (RFC 9110): the user is its last element, trimmed, whether the proxy sends several header lines or one line with commas, so 'X-Casb-User: mallory, alice' names alice, as a proxy that appends its own value (Envoy) means it; an empty last element names no one. An empty string or $null clears it: no header is then trusted and users come only from client certificates.</para></summary>
    [Parameter]
    [AllowNull]
    [AllowEmptyString]
    public string? IdentityHeader { get; set; }

    /// <summary><para>Days of activity log kept; older daily files are deleted by the gateway.</para></summary>
    [Parameter]
    [ValidateRange(1, 3650)]
    public int ActivityRetentionDays { get; set; }

    /// <summary><para>What the activity log keeps record by record. Summary (default) keeps every block, every download or upload session control decided, every failed request and the first request of each session (a user, app and device not seen for 30 minutes) verbatim, and counts the other allowed requests per user, app, device and minute in one Summary record (count, bytes, first and last time): a day of a busy gateway stays in a few GB. Full keeps every request verbatim (about 750 bytes a request, 750 GB a day at 12,000 requests a second).</para></summary>
    [Parameter]
    public ActivityVolume ActivityVolume { get; set; }

    /// <summary><para>Minutes a CRL fetched from a distribution point is used before it is fetched again (in the background while the copy is still before its nextUpdate, so requests do not wait).</para></summary>
    [Parameter]
    [ValidateRange(0, 10080)]
    public int CrlCacheMinutes { get; set; }

    /// <summary><para>Seconds a CRL download from a certificate's distribution point may take before the status counts as unknown.</para></summary>
    [Parameter]
    [ValidateRange(1, 120)]
    public int CrlFetchTimeoutSeconds { get; set; }

    /// <summary><para>What the block page says besides the block message: Reason (default) adds why the device was not recognized, in plain words (no certificate was offered, it expired on a date, it is not trusted, it was revoked, ...) with the certificate's subject and dates, and the same reason code in the JSON answer; None leaves it out. Policy names and trusted roots are never shown.</para></summary>
    [Parameter]
    public BlockPageDetail BlockPageDetail { get; set; }

    /// <summary><para>$true accepts client certificates, CAs and CRLs with legacy cryptography: RSA or DSA keys of 1024 bits and more, elliptic curves of 192 bits and more, SHA-1 signatures. $false (the default) requires RSA of 2048 bits, P-256 or larger curves and SHA-256 or stronger. MD5 signatures and RSA keys under 1024 bits are refused either way.</para></summary>
    [Parameter]
    public bool AllowWeakCertificateCryptography { get; set; }

    /// <summary><para>What happens when a session signed in as one user presents a valid client certificate naming another: Audit (default; decided as the signed-in user, marked in the activity log), Block (the block page names both) or Allow.</para></summary>
    [Parameter]
    public CertificateUserMismatchAction CertificateUserMismatch { get; set; }

    /// <summary><para>Returns the settings after the change.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        var change = new GatewaySettingsChange
        {
            DefaultAction = IsBound(nameof(DefaultAction)) ? DefaultAction : null,
            RevocationMode = IsBound(nameof(RevocationMode)) ? RevocationMode : null,
            TrustedProxies = TrustedProxy,
            // Bound as $null or '' clears the header; not bound leaves it.
            IdentityHeader = IsBound(nameof(IdentityHeader)) ? IdentityHeader ?? "" : null,
            ActivityRetentionDays = IsBound(nameof(ActivityRetentionDays)) ? ActivityRetentionDays : null,
            ActivityVolume = IsBound(nameof(ActivityVolume)) ? ActivityVolume : null,
            CrlCacheMinutes = IsBound(nameof(CrlCacheMinutes)) ? CrlCacheMinutes : null,
            CrlFetchTimeoutSeconds = IsBound(nameof(CrlFetchTimeoutSeconds)) ? CrlFetchTimeoutSeconds : null,
            BlockPageDetail = IsBound(nameof(BlockPageDetail)) ? BlockPageDetail : null,
            AllowWeakCertificateCryptography = IsBound(nameof(AllowWeakCertificateCryptography)) ? AllowWeakCertificateCryptography : null,
            CertificateUserMismatch = IsBound(nameof(CertificateUserMismatch)) ? CertificateUserMismatch : null,
        };
        try
        {
            // The engine's rules (trusted proxies, identity header), checked before -WhatIf: what is accepted here is what the gateway uses.
            change = GatewaySettingsCatalog.Prepare(change);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }

        if (!ShouldProcess(Store.Location, "Change gateway settings"))
        {
            return;
        }

        CasbConfiguration configuration = UpdateConfiguration(config =>
        {
            GatewaySettingsCatalog.Change(config, change);
            return config;
        });

        if (MyInvocation.BoundParameters.ContainsKey(nameof(AllowWeakCertificateCryptography)) && AllowWeakCertificateCryptography)
        {
            WriteWarning("Client certificates, CAs and CRLs with 1024-bit RSA or DSA keys, small elliptic curves or SHA-1 signatures are now accepted. Such keys can be factored and such signatures forged by a well-funded attacker; turn this off again (-AllowWeakCertificateCryptography $false) once the legacy devices are replaced.");
        }

        if (PassThru)
        {
            WriteObject(new CasbGatewaySetting(configuration.Settings, Store.Location, configuration.Revision));
        }
    }

    private bool IsBound(string parameterName) => MyInvocation.BoundParameters.ContainsKey(parameterName);
}
