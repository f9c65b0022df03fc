using System.Text.Json.Serialization;

namespace CasbCore.Model;

/// <summary>
/// The OpenID Connect identity provider the gateway signs users in with (Entra ID or any OIDC issuer). Secrets are
/// never here: <see cref="ClientSecretId"/> and <see cref="ClientCertificateId"/> name entries of the store's
/// secrets file (casb.secrets.json, mode 600), which Export-CasbConfiguration never writes.
/// </summary>
public sealed class IdentityProviderEntry
{
    public const string DefaultUserClaim = "preferred_username";
    public const string DefaultGroupClaim = "groups";
    public const int DefaultSessionLifetimeMinutes = 480;

    /// <summary>How the activity log and the block page name the provider (default: the authority's host).</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// Changes whenever the authority or the client id changes: a session cookie carries the id it was issued
    /// under, and one from another provider is not honoured.
    /// </summary>
    public string Id { get; set; } = "";

    /// <summary>The issuer URI; its /.well-known/openid-configuration is the metadata.</summary>
    public string Authority { get; set; } = "";

    public string ClientId { get; set; } = "";

    /// <summary>The id of the client secret in the secrets file, or null.</summary>
    public string? ClientSecretId { get; set; }

    /// <summary>The id of the client certificate (PKCS#12 with its key) in the secrets file, or null.</summary>
    public string? ClientCertificateId { get; set; }

    /// <summary>The thumbprint of the client certificate, to show which one is configured.</summary>
    public string? ClientCertificateThumbprint { get; set; }

    public List<string> Scopes { get; set; } = new() { "openid", "profile", "email" };

    /// <summary>The token claim that names the user: upn, preferred_username or email.</summary>
    public string UserClaim { get; set; } = DefaultUserClaim;

    /// <summary>The token claim that lists the user's groups: groups or roles.</summary>
    public string GroupClaim { get; set; } = DefaultGroupClaim;

    /// <summary>How long a gateway session lasts from sign-in (absolute, not sliding).</summary>
    public int SessionLifetimeMinutes { get; set; } = DefaultSessionLifetimeMinutes;

    /// <summary>
    /// A CA certificate (DER, base64) the authority's TLS certificate must chain to, for a provider on an internal PKI;
    /// null trusts the operating system's roots, as any HTTPS client does.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? AuthorityCertificate { get; set; }

    /// <summary>The issuer the metadata named when it was last checked; null when stored with -SkipValidation.</summary>
    public string? Issuer { get; set; }

    public DateTimeOffset? ValidatedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }
}
