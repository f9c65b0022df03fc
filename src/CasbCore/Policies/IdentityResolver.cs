using System.Net;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.SignIn;

namespace CasbCore.Policies;

/// <summary>The values of <see cref="AccessDecision.UserSource"/>.</summary>
public static class UserSources
{
    /// <summary>An explicit user in a what-if request (Test-CasbAccess -User).</summary>
    public const string Parameter = "Parameter";

    /// <summary>A session signed in at the gateway with the store's identity provider (or -Claims in a what-if).</summary>
    public const string SignIn = "SignIn";

    /// <summary>The identity header set by a trusted sign-in proxy.</summary>
    public const string IdentityHeader = "IdentityHeader";

    /// <summary>The principal of a client certificate that validated.</summary>
    public const string Certificate = "Certificate";

    public const string Anonymous = "Anonymous";
}

/// <summary>A request's user and where it came from, the groups a sign-in token lists, and the reason lines that explain it.</summary>
internal readonly record struct ResolvedIdentity(
    string? User, string Source, string? IgnoredHeaderReason, string Reason, string[] TokenGroups, string? IdentityProvider, string? IgnoredSignInReason = null);

/// <summary>
/// Who is asking, in order of trust: an explicit user (what-if only) &gt; the user signed in with the store's identity
/// provider, for an app with sign-in (its UserClaim) &gt; the identity header, honoured only when the TCP peer is a
/// configured trusted proxy &gt; the principal (UPN SAN, e-mail SAN, subject CN) of a client certificate that
/// validated (an invalid certificate names no one) &gt; anonymous.
/// </summary>
internal static class IdentityResolver
{
    public static ResolvedIdentity Resolve(
        AccessRequest request,
        CertificateValidationResult certificate,
        Func<IPAddress?, bool> isTrustedProxy,
        IdentityProviderEntry? provider = null,
        SignInMode signIn = SignInMode.None)
    {
        bool hasHeader = !string.IsNullOrWhiteSpace(request.IdentityHeaderValue);
        if (!string.IsNullOrWhiteSpace(request.User))
        {
            string user = request.User.Trim();
            return new ResolvedIdentity(user, UserSources.Parameter, null, $"User '{user}' from the request.", [], null);
        }

        string? ignoredSignIn = null;
        if (request.SignInClaims is { } claims)
        {
            if (signIn == SignInMode.None || provider is null)
            {
                ignoredSignIn = "The sign-in claims were ignored: the app does not sign users in.";
            }
            else if (SignInClaims.UserOf(claims, provider.UserClaim) is { } signedIn)
            {
                string[] groups = SignInClaims.GroupsOf(claims, provider.GroupClaim);
                string listed = groups.Length == 0 ? "" : $" (token groups: {string.Join(", ", groups.Select(g => $"'{g}'"))})";
                return new ResolvedIdentity(
                    signedIn, UserSources.SignIn, null, $"User '{signedIn}' signed in with '{provider.Name}'{listed}.", groups, provider.Name);
            }
            else
            {
                ignoredSignIn = $"The sign-in claims were ignored: they have no '{provider.UserClaim}' claim naming the user.";
            }
        }

        if (hasHeader && isTrustedProxy(request.RemoteAddress))
        {
            string user = request.IdentityHeaderValue!.Trim();
            return new ResolvedIdentity(user, UserSources.IdentityHeader, null, $"User '{user}' from the trusted identity header.", [], null, ignoredSignIn);
        }

        string? ignored = hasHeader
            ? $"The identity header was ignored: {request.RemoteAddress?.ToString() ?? "the peer"} is not a trusted proxy."
            : null;
        if (certificate.IsValid && !string.IsNullOrWhiteSpace(certificate.Principal))
        {
            string user = certificate.Principal.Trim();
            return new ResolvedIdentity(user, UserSources.Certificate, ignored, $"User '{user}' from the client certificate.", [], null, ignoredSignIn);
        }

        return new ResolvedIdentity(null, UserSources.Anonymous, ignored, "The user is anonymous.", [], null, ignoredSignIn);
    }
}
