using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;

namespace CasbCore.SignIn;

/// <summary>
/// The store's identity provider: set (created or changed field by field), removed. Works on a configuration and
/// the store's secrets inside a store update and validates the result; never talks to the user. Error ids (API):
/// those of <see cref="IdentityProviderRules"/>, IdentityProviderNotFound, IdentityProviderInUse.
/// </summary>
public static class IdentityProviderCatalog
{
    public const string NotFoundErrorId = "IdentityProviderNotFound";
    public const string InUseErrorId = "IdentityProviderInUse";
    public const string SecretRequiredErrorId = "IdentityProviderSecretRequired";

    /// <summary>Checks a change on its own, before -WhatIf and before the metadata is fetched.</summary>
    public static IdentityProviderChange Prepare(IdentityProviderChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Authority is not null && IdentityProviderRules.AuthorityProblem(change.Authority) is { } authority)
        {
            throw new CasbException(IdentityProviderRules.AuthorityInvalid, CasbErrorKind.InvalidArgument, $"The authority '{change.Authority}' is invalid: {authority}.", change.Authority);
        }

        if (change.ClientId is not null && string.IsNullOrWhiteSpace(change.ClientId))
        {
            throw new CasbException(IdentityProviderRules.ClientIdMissing, CasbErrorKind.InvalidArgument, "The client id is empty.", change.ClientId);
        }

        if (change.ClientSecret is { Length: 0 })
        {
            throw new CasbException(IdentityProviderRules.CredentialMissing, CasbErrorKind.InvalidArgument, "The client secret is empty.");
        }

        if (change.UserClaim is not null && !SignInClaims.UserClaims.Contains(change.UserClaim, StringComparer.Ordinal))
        {
            throw new CasbException(IdentityProviderRules.InvalidUserClaim, CasbErrorKind.InvalidArgument,
                $"The user claim '{change.UserClaim}' is not one of {string.Join(", ", SignInClaims.UserClaims)}.", change.UserClaim);
        }

        if (change.GroupClaim is not null && !SignInClaims.GroupClaims.Contains(change.GroupClaim, StringComparer.Ordinal))
        {
            throw new CasbException(IdentityProviderRules.InvalidGroupClaim, CasbErrorKind.InvalidArgument,
                $"The group claim '{change.GroupClaim}' is not one of {string.Join(", ", SignInClaims.GroupClaims)}.", change.GroupClaim);
        }

        foreach (string scope in change.Scopes ?? [])
        {
            if (IdentityProviderRules.ScopeProblem(scope) is { } problem)
            {
                throw new CasbException(IdentityProviderRules.InvalidScope, CasbErrorKind.InvalidArgument, $"The scope '{scope}' is invalid: {problem}.", scope);
            }
        }

        if (change.SessionLifetimeMinutes is < IdentityProviderRules.MinSessionLifetimeMinutes or > IdentityProviderRules.MaxSessionLifetimeMinutes)
        {
            throw new CasbException(IdentityProviderRules.InvalidSessionLifetime, CasbErrorKind.InvalidArgument,
                $"The session lifetime of {change.SessionLifetimeMinutes} minutes is outside 1 minute to 30 days.", change.SessionLifetimeMinutes);
        }

        if (change.Name is not null && string.IsNullOrWhiteSpace(change.Name))
        {
            throw new CasbException(Catalogs.ItemNames.InvalidNameErrorId, CasbErrorKind.InvalidArgument, "The identity provider's name is empty.", change.Name);
        }

        if (change.Name is not null)
        {
            Catalogs.ItemNames.ThrowIfUnfit(change.Name, "The identity provider's name");
        }

        return change with
        {
            Name = change.Name?.Trim(),
            Authority = change.Authority?.Trim(),
            ClientId = change.ClientId?.Trim(),
            Scopes = change.Scopes is null ? null : ["openid", .. change.Scopes.Where(s => s != "openid").Distinct(StringComparer.Ordinal)],
        };
    }

    /// <summary>Creates or changes the identity provider. A new one needs an authority, a client id and a secret or certificate.</summary>
    public static IdentityProviderEntry Set(CasbConfiguration configuration, StoreSecrets secrets, IdentityProviderChange change, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(secrets);
        change = Prepare(change);
        IdentityProviderEntry? provider = configuration.IdentityProvider;
        bool created = provider is null;
        if (provider is null)
        {
            if (change.Authority is null)
            {
                throw new CasbException(IdentityProviderRules.AuthorityInvalid, CasbErrorKind.InvalidArgument,
                    "The store has no identity provider yet: give its -Authority (for Entra ID, https://login.microsoftonline.com/<tenant id>/v2.0).");
            }

            if (change.ClientId is null)
            {
                throw new CasbException(IdentityProviderRules.ClientIdMissing, CasbErrorKind.InvalidArgument,
                    "The store has no identity provider yet: give the -ClientId registered with it.");
            }

            if (change.ClientSecret is null && change.ClientCertificatePkcs12 is null)
            {
                throw new CasbException(IdentityProviderRules.CredentialMissing, CasbErrorKind.InvalidArgument,
                    "The store has no identity provider yet: give a -ClientSecret or a -ClientCertificate for the gateway to authenticate with.");
            }

            provider = new IdentityProviderEntry { CreatedAt = now };
        }

        bool newIdentity = created
            || (change.Authority is not null && !string.Equals(change.Authority, provider.Authority, StringComparison.Ordinal))
            || (change.ClientId is not null && !string.Equals(change.ClientId, provider.ClientId, StringComparison.Ordinal));
        provider.Authority = change.Authority ?? provider.Authority;
        provider.ClientId = change.ClientId ?? provider.ClientId;
        if (newIdentity)
        {
            // Sessions issued under another authority or client are not honoured any more.
            provider.Id = Guid.NewGuid().ToString("N");
        }

        provider.Name = change.Name ?? (string.IsNullOrWhiteSpace(provider.Name) ? new Uri(provider.Authority).Host : provider.Name);
        if (change.ClientSecret is not null)
        {
            provider.ClientSecretId = secrets.Add(change.ClientSecret);
            provider.ClientCertificateId = null;
            provider.ClientCertificateThumbprint = null;
        }
        else if (change.ClientCertificatePkcs12 is not null)
        {
            provider.ClientCertificateId = secrets.Add(change.ClientCertificatePkcs12);
            provider.ClientCertificateThumbprint = change.ClientCertificateThumbprint;
            provider.ClientSecretId = null;
        }

        provider.Scopes = change.Scopes?.ToList() ?? provider.Scopes;
        provider.UserClaim = change.UserClaim ?? provider.UserClaim;
        provider.GroupClaim = change.GroupClaim ?? provider.GroupClaim;
        provider.SessionLifetimeMinutes = change.SessionLifetimeMinutes ?? provider.SessionLifetimeMinutes;
        if (change.AuthorityCertificate is not null)
        {
            provider.AuthorityCertificate = change.AuthorityCertificate.Length == 0 ? null : change.AuthorityCertificate;
        }

        if (change.Metadata is not null)
        {
            provider.Issuer = change.Metadata.Issuer;
            provider.ValidatedAt = change.Metadata.RetrievedAt;
        }
        else if (newIdentity || change.AuthorityCertificate is not null)
        {
            provider.Issuer = null;
            provider.ValidatedAt = null;
        }

        provider.ModifiedAt = now;
        configuration.IdentityProvider = provider;
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return provider;
    }

    /// <summary>Removes the identity provider (its secrets go with it). Refused while an app signs users in.</summary>
    public static IdentityProviderEntry Remove(CasbConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        IdentityProviderEntry provider = configuration.IdentityProvider
            ?? throw new CasbException(NotFoundErrorId, CasbErrorKind.ObjectNotFound, "The store has no identity provider.");
        string[] apps = configuration.Apps.Where(a => a.SignIn != SignInMode.None).Select(a => a.Name).ToArray();
        if (apps.Length > 0)
        {
            // Never quietly turned off: an app that required sign-in would then be open to anyone the policies let in.
            throw new CasbException(InUseErrorId, CasbErrorKind.InvalidOperation,
                $"The identity provider '{provider.Name}' signs users in for the apps {string.Join(", ", apps.Select(a => $"'{a}'"))}. Set their -SignIn None first.",
                provider.Name);
        }

        configuration.IdentityProvider = null;
        return provider;
    }

    /// <summary>
    /// Puts an identity provider read from an exported file into the store (Import-CasbConfiguration), or removes it
    /// when <paramref name="incoming"/> is null. An export carries the id of its secret, never the secret: the file's
    /// id is kept when this store has that secret; else <paramref name="clientSecret"/> is stored; else the store's
    /// current provider keeps its own credential; else IdentityProviderSecretRequired (nothing is changed). Sessions
    /// continue when the authority and client id stay the same.
    /// </summary>
    public static void Import(CasbConfiguration configuration, StoreSecrets secrets, IdentityProviderEntry? incoming, string? clientSecret)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(secrets);
        IdentityProviderEntry? existing = configuration.IdentityProvider;
        if (incoming is null)
        {
            configuration.IdentityProvider = null;
            return;
        }

        IdentityProviderEntry entry = System.Text.Json.JsonSerializer.Deserialize<IdentityProviderEntry>(
            System.Text.Json.JsonSerializer.Serialize(incoming, CasbStore.SerializerOptions), CasbStore.SerializerOptions)!;
        if (clientSecret is not null)
        {
            entry.ClientSecretId = secrets.Add(clientSecret);
            entry.ClientCertificateId = null;
            entry.ClientCertificateThumbprint = null;
        }
        else if (!secrets.Contains(entry.ClientSecretId) && !secrets.Contains(entry.ClientCertificateId))
        {
            if (existing is null || (!secrets.Contains(existing.ClientSecretId) && !secrets.Contains(existing.ClientCertificateId)))
            {
                throw new CasbException(SecretRequiredErrorId, CasbErrorKind.InvalidData,
                    $"The identity provider '{entry.Name}' in the file refers to a client secret this store does not have (an export never contains one). Give it with -IdentityProviderClientSecret, or set it afterwards with Set-CasbIdentityProvider.",
                    entry.Name);
            }

            entry.ClientSecretId = existing.ClientSecretId;
            entry.ClientCertificateId = existing.ClientCertificateId;
            entry.ClientCertificateThumbprint = existing.ClientCertificateThumbprint;
        }

        bool sameIdentity = existing is not null
            && string.Equals(existing.Authority, entry.Authority, StringComparison.Ordinal)
            && string.Equals(existing.ClientId, entry.ClientId, StringComparison.Ordinal);
        entry.Id = sameIdentity ? existing!.Id : Guid.NewGuid().ToString("N");
        configuration.IdentityProvider = entry;
    }
}
