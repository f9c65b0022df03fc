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

/// <summary>A request's user and where it came from, with the reason lines that explain it.</summary>
internal readonly record struct ResolvedIdentity(string? User, string Source, string? IgnoredHeaderReason, string Reason);

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
            string user = request.User.Trim();
            return new ResolvedIdentity(user, UserSources.Parameter, null, $"User '{user}' from the request.");
        }

        if (hasHeader && isTrustedProxy(request.RemoteAddress))
        {
            string user = request.IdentityHeaderValue!.Trim();
            return new ResolvedIdentity(user, UserSources.IdentityHeader, null, $"User '{user}' from the trusted identity header.");
        }

        string? ignored = hasHeader
            ? $"The identity header was ignored: {request.RemoteAddress?.ToString() ?? "the peer"} is not a trusted proxy."
            : null;
        if (certificate.IsValid && !string.IsNullOrWhiteSpace(certificate.Principal))
        {
            string user = certificate.Principal.Trim();
            return new ResolvedIdentity(user, UserSources.Certificate, ignored, $"User '{user}' from the client certificate.");
        }

        return new ResolvedIdentity(null, UserSources.Anonymous, ignored, "The user is anonymous.");
    }
}
