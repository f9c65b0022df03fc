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

/// <summary>Why a request's sign-in claims named nobody.</summary>
internal enum SignInIgnored : byte
{
    No,

    /// <summary>The app does not sign users in (or the store has no identity provider).</summary>
    AppWithoutSignIn,

    /// <summary>The claims have no value of the identity provider's UserClaim.</summary>
    NoUserClaim,
}

/// <summary>
/// A request's user, where it came from, whether an identity header or sign-in claims were ignored, and a signed-in
/// user's token groups and identity provider (the reason lines are rendered on demand).
/// </summary>
internal readonly record struct ResolvedIdentity(
    string? User, string Source, bool HeaderIgnored, string[]? TokenGroups = null, IdentityProviderEntry? Provider = null, SignInIgnored SignInIgnored = SignInIgnored.No);

/// <summary>
/// Who is asking, in order of trust: an explicit user (what-if only) &gt; the user signed in with the store's identity
/// provider, for an app with sign-in (its UserClaim; groups from its GroupClaim) &gt; the identity header, honoured only
/// when the TCP peer is a configured trusted proxy &gt; the principal (UPN SAN, e-mail SAN, subject CN) of a
/// client certificate that validated (an invalid certificate names no one) &gt; anonymous. The user is in
/// <see cref="UserNames.Canonical"/> form whichever source names it, so the policies, the activity record and a
/// revocation read one spelling of it.
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
        bool headerIgnored = hasHeader && !isTrustedProxy(request.RemoteAddress);
        if (!string.IsNullOrWhiteSpace(request.User))
        {
            return new ResolvedIdentity(UserNames.Canonical(request.User), UserSources.Parameter, false);
        }

        SignInIgnored ignored = SignInIgnored.No;
        if (request.SignInClaims is { } claims)
        {
            if (signIn == SignInMode.None || provider is null)
            {
                ignored = SignInIgnored.AppWithoutSignIn;
            }
            else if (SignInClaims.UserOf(claims, provider.UserClaim) is { } signedIn)
            {
                return new ResolvedIdentity(signedIn, UserSources.SignIn, false, SignInClaims.GroupsOf(claims, provider.GroupClaim), provider);
            }
            else
            {
                ignored = SignInIgnored.NoUserClaim;
            }
        }

        if (hasHeader && !headerIgnored && HeaderUser(request.IdentityHeaderValue) is { } headerUser)
        {
            return new ResolvedIdentity(headerUser, UserSources.IdentityHeader, false, SignInIgnored: ignored);
        }

        if (certificate.IsValid && !string.IsNullOrWhiteSpace(certificate.Principal))
        {
            return new ResolvedIdentity(UserNames.Canonical(certificate.Principal), UserSources.Certificate, headerIgnored, SignInIgnored: ignored);
        }

        return new ResolvedIdentity(null, UserSources.Anonymous, headerIgnored, SignInIgnored: ignored);
    }

    /// <summary>
    /// The user an identity header names: its last list element, trimmed, or null when that is empty. RFC 9110 §5.3 makes
    /// one line "mallory, alice" the same field as the two lines "mallory" and "alice" (the gateway passes several lines
    /// joined by ','), and a proxy that appends its own (Envoy) wrote the last. Read whole, "mallory, alice" named no one
    /// a policy names. No allocation for a single name without white space at its ends.
    /// </summary>
    internal static string? HeaderUser(string? value)
    {
        if (value is null)
        {
            return null;
        }

        string last = UserNames.Canonical(value[(value.LastIndexOf(',') + 1)..]);
        return last.Length == 0 ? null : last;
    }

    /// <summary>The reason line for sign-in claims that named nobody, or null.</summary>
    public static string? IgnoredSignInReason(ResolvedIdentity identity, IdentityProviderEntry? provider) => identity.SignInIgnored switch
    {
        SignInIgnored.AppWithoutSignIn => "The sign-in claims were ignored: the app does not sign users in.",
        SignInIgnored.NoUserClaim => $"The sign-in claims were ignored: they have no '{provider?.UserClaim}' claim naming the user.",
        _ => null,
    };

    /// <summary>The reason line for an identity header from a peer that is not a trusted proxy.</summary>
    public static string IgnoredHeaderReason(AccessRequest request) =>
        $"The identity header was ignored: {request.RemoteAddress?.ToString() ?? "the peer"} is not a trusted proxy.";

    /// <summary>The reason line saying who the user is and where the name came from.</summary>
    public static string Reason(ResolvedIdentity identity) => identity.Source switch
    {
        UserSources.Parameter => $"User '{identity.User}' from the request.",
        UserSources.SignIn => $"User '{identity.User}' signed in with '{identity.Provider?.Name}'"
            + (identity.TokenGroups is { Length: > 0 } groups ? $" (token groups: {string.Join(", ", groups.Select(g => $"'{g}'"))})." : "."),
        UserSources.IdentityHeader => $"User '{identity.User}' from the trusted identity header.",
        UserSources.Certificate => $"User '{identity.User}' from the client certificate.",
        _ => "The user is anonymous.",
    };
}
