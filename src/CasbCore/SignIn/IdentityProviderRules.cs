using CasbCore.Model;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CasbCore.SignIn;

/// <summary>
/// What makes an identity provider entry usable, checked when it is written (Set-CasbIdentityProvider, Import) and
/// when the gateway loads a revision. Error ids (API): IdentityProviderAuthorityInvalid, IdentityProviderClientIdMissing,
/// IdentityProviderCredentialMissing, InvalidUserClaim, InvalidGroupClaim, InvalidScope, InvalidSessionLifetime,
/// IdentityProviderAuthorityCertificateInvalid, InvalidName, SignInWithoutIdentityProvider, InvalidSignIn, InvalidCertificateUserMismatch.
/// </summary>
public static class IdentityProviderRules
{
    public const string AuthorityInvalid = "IdentityProviderAuthorityInvalid";
    public const string ClientIdMissing = "IdentityProviderClientIdMissing";
    public const string CredentialMissing = "IdentityProviderCredentialMissing";
    public const string InvalidUserClaim = "InvalidUserClaim";
    public const string InvalidGroupClaim = "InvalidGroupClaim";
    public const string InvalidScope = "InvalidScope";
    public const string InvalidSessionLifetime = "InvalidSessionLifetime";
    public const string AuthorityCertificateInvalid = "IdentityProviderAuthorityCertificateInvalid";
    public const string SignInWithoutIdentityProvider = "SignInWithoutIdentityProvider";

    public const int MinSessionLifetimeMinutes = 1;
    public const int MaxSessionLifetimeMinutes = 30 * 24 * 60;

    /// <summary>Null when <paramref name="authority"/> is an absolute https URI without query, fragment or user info; else why not.</summary>
    public static string? AuthorityProblem(string? authority)
    {
        if (string.IsNullOrWhiteSpace(authority))
        {
            return "it is empty";
        }

        if (!Uri.TryCreate(authority, UriKind.Absolute, out Uri? uri) || string.IsNullOrEmpty(uri.Host))
        {
            return "it is not an absolute URI";
        }

        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            // Tokens and the client secret travel to it: never in clear text.
            return "it is not an https:// URI";
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return "it has a query, a fragment or user info";
        }

        return DisplayText.IsSafe(authority) ? null : "it contains a control or bidi character";
    }

    /// <summary>Null when <paramref name="scope"/> is an OAuth scope token (RFC 6749 3.3: printable ASCII without space, quote or backslash).</summary>
    public static string? ScopeProblem(string? scope)
    {
        if (string.IsNullOrEmpty(scope))
        {
            return "it is empty";
        }

        foreach (char c in scope)
        {
            if (c < 0x21 || c > 0x7E || c == '"' || c == '\\')
            {
                return "a scope is printable ASCII without spaces, quotes or backslashes";
            }
        }

        return null;
    }

    /// <summary>Adds the problems of the configuration's identity provider and of the apps that sign in.</summary>
    public static void Validate(CasbConfiguration configuration, Action<string, string, string> add)
    {
        // JSON numbers bind to any enum value; an unknown sign-in mode must not quietly act as Optional.
        foreach (AppEntry app in configuration.Apps.Where(a => !Enum.IsDefined(a.SignIn)))
        {
            add("InvalidSignIn", app.Name, $"App '{app.Name}': the sign-in setting '{(int)app.SignIn}' is not one of {string.Join(", ", Enum.GetNames<SignInMode>())}.");
        }

        if (!Enum.IsDefined(configuration.Settings.CertificateUserMismatch))
        {
            add("InvalidCertificateUserMismatch", "Settings",
                $"The certificate-user mismatch setting '{(int)configuration.Settings.CertificateUserMismatch}' is not one of {string.Join(", ", Enum.GetNames<CertificateUserMismatchAction>())}.");
        }

        IdentityProviderEntry? provider = configuration.IdentityProvider;
        if (provider is null)
        {
            foreach (AppEntry app in configuration.Apps.Where(a => a.SignIn != SignInMode.None))
            {
                add(SignInWithoutIdentityProvider, app.Name,
                    $"App '{app.Name}' signs users in (SignIn {app.SignIn}), but the store has no identity provider. Run Set-CasbIdentityProvider first, or set the app's -SignIn None.");
            }

            return;
        }

        string what = $"Identity provider '{provider.Name}'";
        string item = provider.Name;
        if (string.IsNullOrWhiteSpace(provider.Name) || Catalogs.ItemNames.CharacterProblem(provider.Name) is not null)
        {
            add(Catalogs.ItemNames.InvalidNameErrorId, item, $"{what}: the name is empty or contains a control or bidi character.");
        }

        if (AuthorityProblem(provider.Authority) is { } authority)
        {
            add(AuthorityInvalid, item, $"{what}: the authority '{provider.Authority}' is invalid: {authority}.");
        }

        if (string.IsNullOrWhiteSpace(provider.ClientId) || string.IsNullOrWhiteSpace(provider.Id))
        {
            add(ClientIdMissing, item, $"{what} has no client id (the application id registered with the identity provider).");
        }
        else if (!DisplayText.IsSafe(provider.ClientId))
        {
            add(ClientIdMissing, item, $"{what}: the client id contains a control or bidi character.");
        }

        if (provider.ClientSecretId is null && provider.ClientCertificateId is null)
        {
            add(CredentialMissing, item, $"{what} has no client secret and no client certificate: the gateway must authenticate to the token endpoint.");
        }

        if (!SignInClaims.UserClaims.Contains(provider.UserClaim, StringComparer.Ordinal))
        {
            add(InvalidUserClaim, item, $"{what}: the user claim '{provider.UserClaim}' is not one of {string.Join(", ", SignInClaims.UserClaims)}.");
        }

        if (!SignInClaims.GroupClaims.Contains(provider.GroupClaim, StringComparer.Ordinal))
        {
            add(InvalidGroupClaim, item, $"{what}: the group claim '{provider.GroupClaim}' is not one of {string.Join(", ", SignInClaims.GroupClaims)}.");
        }

        foreach (string scope in provider.Scopes)
        {
            if (ScopeProblem(scope) is { } problem)
            {
                add(InvalidScope, item, $"{what}: the scope '{scope}' is invalid: {problem}.");
            }
        }

        if (!provider.Scopes.Contains("openid", StringComparer.Ordinal))
        {
            add(InvalidScope, item, $"{what}: the scopes must include openid.");
        }

        if (provider.SessionLifetimeMinutes is < MinSessionLifetimeMinutes or > MaxSessionLifetimeMinutes)
        {
            add(InvalidSessionLifetime, item,
                $"{what}: the session lifetime of {provider.SessionLifetimeMinutes} minutes is outside {MinSessionLifetimeMinutes} minute to {MaxSessionLifetimeMinutes / 1440} days.");
        }

        if (provider.AuthorityCertificate is not null && ReadAuthorityCertificate(provider.AuthorityCertificate) is null)
        {
            add(AuthorityCertificateInvalid, item, $"{what}: the authority certificate is not a base64 DER certificate.");
        }
    }

    /// <summary>The CA certificate an authority's TLS certificate must chain to, or null when the data is not one.</summary>
    public static X509Certificate2? ReadAuthorityCertificate(string? base64)
    {
        if (string.IsNullOrEmpty(base64))
        {
            return null;
        }

        try
        {
            return X509CertificateLoader.LoadCertificate(Convert.FromBase64String(base64));
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            return null;
        }
    }
}
