using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace CasbCore.Policies;

/// <summary>
/// Everything the engine needs to decide one request. The gateway fills it from the HTTP request;
/// Test-CasbAccess fills it from parameters. Both then call <see cref="CasbEngine.Decide(AccessRequest)"/>.
/// </summary>
public sealed class AccessRequest
{
    /// <summary>The app by name (what-if). When null the app is found from <see cref="Host"/> and <see cref="Path"/>.</summary>
    public string? AppName { get; init; }

    public string? Host { get; init; }

    /// <summary>The request path (a query or fragment, if any, is ignored for app matching).</summary>
    public string Path { get; init; } = "/";

    /// <summary>An explicit user (what-if only). The gateway never sets it.</summary>
    public string? User { get; init; }

    /// <summary>
    /// The claims of the session signed in with the store's identity provider (the gateway's session cookie), or of
    /// a token in a what-if (Test-CasbAccess -Claims); null when nobody signed in. They count only for an app whose
    /// SignIn is Optional or Required; the user and groups are read by the identity provider's UserClaim and GroupClaim.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? SignInClaims { get; init; }

    /// <summary>The raw value of the trusted identity header, honoured only when <see cref="RemoteAddress"/> is a trusted proxy.</summary>
    public string? IdentityHeaderValue { get; init; }

    /// <summary>The peer that sent the request (the TCP peer at the gateway).</summary>
    public IPAddress? RemoteAddress { get; init; }

    /// <summary>The client address used for IP-range filters; when null, <see cref="RemoteAddress"/>. No address at all is in no range.</summary>
    public IPAddress? ClientAddress { get; init; }

    /// <summary>
    /// Set when the client's address cannot be known (a trusted proxy forwarded an entry that is no address): IP-range
    /// filters then see no address, which is in no range, never <see cref="RemoteAddress"/>, the proxy itself.
    /// </summary>
    public bool ClientAddressUnknown { get; init; }

    public string? UserAgent { get; init; }

    public X509Certificate2? ClientCertificate { get; init; }

    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    public string? CorrelationId { get; init; }
}
