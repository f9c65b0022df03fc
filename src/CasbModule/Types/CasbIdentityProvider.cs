using CasbCore;
using CasbCore.Model;
using CasbCore.SignIn;

namespace CasbModule.Types;

/// <summary>
/// The store's OpenID Connect identity provider. Its client secret or client certificate is never part of it: they
/// stay in the store's secrets file; <see cref="ClientCredential"/> says which one is configured.
/// </summary>
public sealed class CasbIdentityProvider
{
    internal CasbIdentityProvider(IdentityProviderEntry entry, string storePath, long revision)
    {
        Name = DisplayText.Safe(entry.Name);
        Authority = DisplayText.Safe(entry.Authority);
        ClientId = DisplayText.Safe(entry.ClientId);
        ClientCredential = entry.ClientCertificateId is not null ? "Certificate" : entry.ClientSecretId is not null ? "Secret" : "None";
        ClientCertificateThumbprint = DisplayText.Safe(entry.ClientCertificateThumbprint);
        Scopes = DisplayText.SafeAll(entry.Scopes);
        UserClaim = DisplayText.Safe(entry.UserClaim);
        GroupClaim = DisplayText.Safe(entry.GroupClaim);
        SessionLifetime = TimeSpan.FromMinutes(entry.SessionLifetimeMinutes);
        using var authorityCertificate = IdentityProviderRules.ReadAuthorityCertificate(entry.AuthorityCertificate);
        AuthorityCertificateThumbprint = authorityCertificate?.Thumbprint;
        AuthorityCertificateSubject = DisplayText.Safe(authorityCertificate?.Subject);
        Issuer = DisplayText.Safe(entry.Issuer);
        ValidatedAt = entry.ValidatedAt;
        CreatedAt = entry.CreatedAt;
        ModifiedAt = entry.ModifiedAt;
        StorePath = DisplayText.Safe(storePath);
        Revision = revision;
    }

    public string Name { get; }

    public string Authority { get; }

    public string ClientId { get; }

    /// <summary>Secret, Certificate or None: how the gateway authenticates to the token endpoint (the value is never shown).</summary>
    public string ClientCredential { get; }

    public string? ClientCertificateThumbprint { get; }

    public string[] Scopes { get; }

    public string UserClaim { get; }

    public string GroupClaim { get; }

    /// <summary>How long a gateway session lasts from sign-in.</summary>
    public TimeSpan SessionLifetime { get; }

    /// <summary>The CA the authority's TLS certificate must chain to, or null for the operating system's roots.</summary>
    public string? AuthorityCertificateThumbprint { get; }

    public string? AuthorityCertificateSubject { get; }

    /// <summary>The issuer the discovery document named when it was last checked; null when stored with -SkipValidation.</summary>
    public string? Issuer { get; }

    public DateTimeOffset? ValidatedAt { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset ModifiedAt { get; }

    public string StorePath { get; }

    public long Revision { get; }

    public override string ToString() => Name;
}
