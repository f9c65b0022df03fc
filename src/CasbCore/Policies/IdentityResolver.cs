using System.Net;
using CasbCore.Certificates;

namespace CasbCore.Policies;

/// <summary>The values of <see cref="AccessDecision.UserSource"/>.</summary>
public static class UserSources
{
    /// <summary>An explicit user in a what-if request (Test-CasbAccess -User).</summary>
    public const string Parameter = "Parameter";

    /// <summary>The identity header set by a trusted sign-in proxy.</summary>
    public const string IdentityHeader = "IdentityHeader";

    /// <summary>The principal of a client certificate that validated.</summary>
    public const string Certificate = "Certificate";

    public const string Anonymous = "Anonymous";
}

/// <summary>A request's user, where it came from, and whether an identity header was ignored (the reason lines are rendered on demand).</summary>
internal readonly record struct ResolvedIdentity(string? User, string Source, bool HeaderIgnored);

/// <summary>
/// Who is asking, in order of trust: an explicit user (what-if only) &gt; the identity header, honoured only
/// when the TCP peer is a configured trusted proxy &gt; the principal (UPN SAN, e-mail SAN, subject CN) of a
/// client certificate that validated (an invalid certificate names no one) &gt; anonymous.
/// </summary>
internal static class IdentityResolver
{
    public static ResolvedIdentity Resolve(AccessRequest request, CertificateValidationResult certificate, Func<IPAddress?, bool> isTrustedProxy)
    {
        bool hasHeader = !string.IsNullOrWhiteSpace(request.IdentityHeaderValue);
        if (!string.IsNullOrWhiteSpace(request.User))
        {
            return new ResolvedIdentity(request.User.Trim(), UserSources.Parameter, false);
        }

        if (hasHeader && isTrustedProxy(request.RemoteAddress))
        {
            return new ResolvedIdentity(request.IdentityHeaderValue!.Trim(), UserSources.IdentityHeader, false);
        }

        if (certificate.IsValid && !string.IsNullOrWhiteSpace(certificate.Principal))
        {
            return new ResolvedIdentity(certificate.Principal.Trim(), UserSources.Certificate, hasHeader);
        }

        return new ResolvedIdentity(null, UserSources.Anonymous, hasHeader);
    }

    /// <summary>The reason line for an identity header from a peer that is not a trusted proxy.</summary>
    public static string IgnoredHeaderReason(AccessRequest request) =>
        $"The identity header was ignored: {request.RemoteAddress?.ToString() ?? "the peer"} is not a trusted proxy.";

    /// <summary>The reason line saying who the user is and where the name came from.</summary>
    public static string Reason(ResolvedIdentity identity) => identity.Source switch
    {
        UserSources.Parameter => $"User '{identity.User}' from the request.",
        UserSources.IdentityHeader => $"User '{identity.User}' from the trusted identity header.",
        UserSources.Certificate => $"User '{identity.User}' from the client certificate.",
        _ => "The user is anonymous.",
    };
}
