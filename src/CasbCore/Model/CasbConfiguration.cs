using System.Text.Json.Serialization;

namespace CasbCore.Model;

/// <summary>
/// The whole configuration: one versioned JSON document in the store. Mutable DTOs for serialization;
/// cmdlets expose read-only views of them.
/// </summary>
public sealed class CasbConfiguration
{
    /// <summary>
    /// 2: session policies (an engine that reads only version 1 would ignore them and let every download through).
    /// 3: sign-in (an engine that reads only version 2 would read signIn: Required as nothing and serve the app to anyone).
    /// </summary>
    public const int CurrentSchemaVersion = 3;

    public int SchemaVersion { get; set; } = CurrentSchemaVersion;

    /// <summary>Incremented by every write that changes something; engines compile once per revision.</summary>
    public long Revision { get; set; }

    public DateTimeOffset? ModifiedAt { get; set; }

    public GatewaySettings Settings { get; set; } = new();

    public List<TrustedRootEntry> TrustedRoots { get; set; } = new();

    public List<RevocationListEntry> RevocationLists { get; set; } = new();

    public List<AppEntry> Apps { get; set; } = new();

    public List<GroupEntry> Groups { get; set; } = new();

    public List<ConditionalAccessPolicyEntry> ConditionalAccessPolicies { get; set; } = new();

    public List<AccessPolicyEntry> AccessPolicies { get; set; } = new();

    public List<SessionPolicyEntry> SessionPolicies { get; set; } = new();

    /// <summary>The OpenID Connect provider apps with sign-in use; null when none is configured.</summary>
    public IdentityProviderEntry? IdentityProvider { get; set; }
}

public enum RevocationCheckMode
{
    /// <summary>Revocation is not checked.</summary>
    None,

    /// <summary>A revoked certificate fails; one whose status cannot be established passes.</summary>
    Optional,

    /// <summary>A certificate whose revocation status cannot be established fails (MDCA's behaviour).</summary>
    Required,
}

public enum DefaultAction
{
    Allow,
    Block,
}

/// <summary>What the block page tells a blocked person beyond the admin's message.</summary>
public enum BlockPageDetail
{
    /// <summary>The message, the app, the correlation id and the time only.</summary>
    None,

    /// <summary>Also why the device was not recognized, in plain words (no certificate, expired, revoked, ...), with the certificate's subject and validity dates.</summary>
    Reason,
}

public sealed class GatewaySettings
{
    public RevocationCheckMode RevocationMode { get; set; } = RevocationCheckMode.Optional;

    /// <summary>What happens to a request no access policy blocks.</summary>
    public DefaultAction DefaultAction { get; set; } = DefaultAction.Allow;

    /// <summary>Addresses or CIDR ranges of sign-in proxies whose identity header is honoured.</summary>
    public List<string> TrustedProxies { get; set; } = new();

    /// <summary>The header a trusted sign-in proxy uses to pass the signed-in user.</summary>
    public string IdentityHeader { get; set; } = "X-Casb-User";

    public int ActivityRetentionDays { get; set; } = 30;

    /// <summary>What the activity log keeps record by record (see <see cref="Model.ActivityVolume"/>); left out of the file at its default.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ActivityVolume ActivityVolume { get; set; }

    /// <summary>How long a CRL fetched from a distribution point is used before a (background) refresh; its nextUpdate still applies.</summary>
    public int CrlCacheMinutes { get; set; } = 60;

    /// <summary>Timeout for fetching a CRL from a distribution point.</summary>
    public int CrlFetchTimeoutSeconds { get; set; } = 5;

    /// <summary>Whether the block page (and the JSON answer) says why the device was not recognized.</summary>
    public BlockPageDetail BlockPageDetail { get; set; } = BlockPageDetail.Reason;

    /// <summary>
    /// Accept client certificates, CAs and CRLs with legacy cryptography: RSA or DSA keys of 1024 bits and more,
    /// elliptic curves of 192 bits and more, SHA-1 signatures. Off by default (RSA 2048, P-256, SHA-256 and up).
    /// MD5 signatures and RSA keys under 1024 bits are refused either way.
    /// </summary>
    public bool AllowWeakCertificateCryptography { get; set; }

    /// <summary>What happens when a session signed in as one user presents a client certificate of another.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public CertificateUserMismatchAction CertificateUserMismatch { get; set; }
}

public enum TrustedRootKind
{
    Root,
    Intermediate,
}

public sealed class TrustedRootEntry
{
    public string Thumbprint { get; set; } = "";

    public string Subject { get; set; } = "";

    public string Issuer { get; set; } = "";

    public TrustedRootKind Kind { get; set; }

    public DateTimeOffset NotBefore { get; set; }

    public DateTimeOffset NotAfter { get; set; }

    public DateTimeOffset AddedAt { get; set; }

    /// <summary>The DER certificate, base64.</summary>
    public string RawData { get; set; } = "";
}

public sealed class RevocationListEntry
{
    /// <summary>SHA-256 of the DER CRL, hex; identifies the entry.</summary>
    public string Id { get; set; } = "";

    public string Issuer { get; set; } = "";

    /// <summary>Thumbprint of the trusted CA whose signature was verified.</summary>
    public string IssuerThumbprint { get; set; } = "";

    public DateTimeOffset ThisUpdate { get; set; }

    public DateTimeOffset? NextUpdate { get; set; }

    public string? CrlNumber { get; set; }

    /// <summary>A delta CRL's BaseCRLNumber (the complete CRL it completes, or a later one); null for a complete CRL.</summary>
    public string? BaseCrlNumber { get; set; }

    public int RevokedCount { get; set; }

    public DateTimeOffset AddedAt { get; set; }

    public string? Source { get; set; }

    /// <summary>The DER CRL, base64.</summary>
    public string RawData { get; set; } = "";

    /// <summary>
    /// Revocations (other than a certificateHold, which a later CRL may lift) that the CRLs this one replaced listed and it
    /// does not: a CA never takes back a revocation (RFC 5280), but a CA that does, or a delta CRL replaced by the next
    /// complete CRL that forgot it, would otherwise make the certificate valid again. Carried from CRL to CRL as one replaces
    /// the other; forgotten only with the CRL (Remove-CasbCertificateRevocationList). Null when there are none.
    /// </summary>
    public List<RetiredRevocationEntry>? Retired { get; set; }
}

/// <summary>One revocation a replaced CRL listed (<see cref="RevocationListEntry.Retired"/>).</summary>
public sealed class RetiredRevocationEntry
{
    /// <summary>The serial number, hex as the CRL has it (normalized: upper case, minimal).</summary>
    public string Serial { get; set; } = "";

    public DateTimeOffset RevocationDate { get; set; }

    /// <summary>The CRL entry's reason code (X509RevocationReason), or null when it gave none.</summary>
    public string? Reason { get; set; }

    /// <summary>The CRL number of the CRL that listed it.</summary>
    public string? CrlNumber { get; set; }

    /// <summary>
    /// True when this store read it from a CRL whose signature it verified; false for one an imported file brought (Import-CasbConfiguration
    /// sets it so, whatever the file says). Past <see cref="Certificates.RevocationLists.MaxRetired"/> a verified one never gives way to an unverified one.
    /// </summary>
    public bool Verified { get; set; }
}

public sealed class AppEntry
{
    public string Name { get; set; } = "";

    public string Upstream { get; set; } = "";

    /// <summary>Host names the app answers on; wildcards such as *.contoso.local allowed.</summary>
    public List<string> Hostnames { get; set; } = new();

    public string PathPrefix { get; set; } = "/";

    /// <summary>Pass the validated leaf upstream in an RFC 9440 Client-Cert header.</summary>
    public bool ForwardClientCertificate { get; set; }

    /// <summary>Whether the gateway signs users in for this app with the store's identity provider.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public SignInMode SignIn { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }
}

public sealed class GroupEntry
{
    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public List<string> Members { get; set; } = new();

    public DateTimeOffset CreatedAt { get; set; }
}

public enum ConditionalAccessState
{
    On,
    Off,
    ReportOnly,
}

public enum ClientAppType
{
    Browser,
    MobileAndDesktop,
}

public enum SessionControlKind
{
    None,
    AppControl,
}

public enum AppControlMode
{
    MonitorOnly,
    BlockDownloads,
    UseCustomPolicy,
}

public enum GrantControl
{
    None,
    Block,
}

public sealed class ConditionalAccessPolicyEntry
{
    public string Name { get; set; } = "";

    public ConditionalAccessState State { get; set; } = ConditionalAccessState.On;

    public List<string> IncludeUsers { get; set; } = new();

    public List<string> IncludeGroups { get; set; } = new();

    public List<string> ExcludeUsers { get; set; } = new();

    public List<string> ExcludeGroups { get; set; } = new();

    /// <summary>App names; empty means all apps.</summary>
    public List<string> Apps { get; set; } = new();

    /// <summary>Client app types in scope; empty means all.</summary>
    public List<ClientAppType> ClientAppTypes { get; set; } = new();

    public SessionControlKind SessionControl { get; set; }

    public AppControlMode AppControlMode { get; set; } = AppControlMode.UseCustomPolicy;

    public GrantControl Grant { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }
}

public enum AccessPolicyAction
{
    Test,
    Block,
}

public enum FilterOperator
{
    Equals,
    DoesNotEqual,
}

public enum IPRangeOperator
{
    In,
    NotIn,
}

public enum AccessPolicyClientApp
{
    Browser,
    MobileAndDesktop,
    Any,
}

public enum PolicySeverity
{
    Low,
    Medium,
    High,
}

public sealed class AccessPolicyEntry : IFilterPolicy
{
    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public AccessPolicyAction Action { get; set; }

    public string? BlockMessage { get; set; }

    /// <summary>App names; empty means all apps.</summary>
    public List<string> Apps { get; set; } = new();

    /// <summary>Canonical device tag names (e.g. "Valid client certificate").</summary>
    public List<string> DeviceTags { get; set; } = new();

    public FilterOperator DeviceTagOperator { get; set; } = FilterOperator.Equals;

    public List<string> Users { get; set; } = new();

    public List<string> Groups { get; set; } = new();

    public List<string> ExcludeUsers { get; set; } = new();

    public List<string> ExcludeGroups { get; set; } = new();

    public AccessPolicyClientApp ClientApp { get; set; } = AccessPolicyClientApp.Browser;

    public List<string> IPRanges { get; set; } = new();

    public IPRangeOperator IPRangeOperator { get; set; } = IPRangeOperator.In;

    public List<string> UserAgentContains { get; set; } = new();

    public PolicySeverity Severity { get; set; } = PolicySeverity.Medium;

    public bool Enabled { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }
}

/// <summary>What a session policy controls (Defender for Cloud Apps' session control types).</summary>
public enum SessionControlType
{
    /// <summary>Records every download and upload of the sessions it matches; never blocks.</summary>
    MonitorOnly,

    /// <summary>Audits or blocks the downloads it matches.</summary>
    ControlFileDownload,

    /// <summary>Audits or blocks the uploads it matches.</summary>
    ControlFileUpload,
}

public enum SessionPolicyAction
{
    Audit,
    Block,
}

/// <summary>
/// A session policy (the App Control layer inside an allowed session): the access policies' filters on the
/// session, file filters on the transfer, and what happens to a matching download or upload.
/// </summary>
public sealed class SessionPolicyEntry : IFilterPolicy
{
    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public SessionControlType ControlType { get; set; }

    public SessionPolicyAction Action { get; set; }

    public string? BlockMessage { get; set; }

    /// <summary>App names; empty means all apps.</summary>
    public List<string> Apps { get; set; } = new();

    /// <summary>Canonical device tag names.</summary>
    public List<string> DeviceTags { get; set; } = new();

    public FilterOperator DeviceTagOperator { get; set; } = FilterOperator.Equals;

    public List<string> Users { get; set; } = new();

    public List<string> Groups { get; set; } = new();

    public List<string> ExcludeUsers { get; set; } = new();

    public List<string> ExcludeGroups { get; set; } = new();

    public AccessPolicyClientApp ClientApp { get; set; } = AccessPolicyClientApp.Browser;

    public List<string> IPRanges { get; set; } = new();

    public IPRangeOperator IPRangeOperator { get; set; } = IPRangeOperator.In;

    /// <summary>File extensions without the dot, lower-case ("docx"); empty means every file.</summary>
    public List<string> FileExtensions { get; set; } = new();

    /// <summary>Only files of at least this many MiB; null means any size. A transfer of unknown size matches (fail closed).</summary>
    public int? MinFileSizeMB { get; set; }

    public PolicySeverity Severity { get; set; } = PolicySeverity.Medium;

    public bool Enabled { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }
}
