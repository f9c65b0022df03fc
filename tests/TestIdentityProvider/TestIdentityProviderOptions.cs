namespace CasbTestIdentityProvider;

/// <summary>How to run the test identity provider.</summary>
public sealed class TestIdentityProviderOptions
{
    /// <summary>Where to listen; port 0 picks a free one.</summary>
    public string Url { get; init; } = "https://127.0.0.1:0";

    public IReadOnlyList<TestUser> Users { get; init; } = [];

    public string ClientId { get; init; } = "casb-gateway";

    public string ClientSecret { get; init; } = "casb-test-secret";

    /// <summary>When set, the client authenticates with a client assertion signed by this certificate's key (private_key_jwt) instead of the secret.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; init; }

    /// <summary>The client's redirect URIs (the gateway's https://host:port/.casb/signin-oidc); more can be added later.</summary>
    public IReadOnlyList<string> RedirectUris { get; init; } = [];

    public IReadOnlyList<string> PostLogoutRedirectUris { get; init; } = [];

    /// <summary>
    /// Entra ID's group overage: a user with more groups than this gets an ID token without groups that points
    /// (_claim_names, _claim_sources) to the provider's Graph-like /graph/v1.0/me/getMemberObjects, which lists them
    /// for a valid access token of the provider. Null: groups always in the token.
    /// </summary>
    public int? GroupOverageThreshold { get; init; }

    /// <summary>
    /// Whether ID tokens carry a session id (<c>sid</c>, OpenID Connect Front-Channel Logout), the one the provider's
    /// front-channel sign-out names (<see cref="TestIdentityProvider.SessionIdOf"/>).
    /// </summary>
    public bool IssueSessionIds { get; init; }

    /// <summary>
    /// Whether the claims that can name the user (preferred_username, upn, email) carry the name with white space around
    /// it, as some directories send a name typed with a stray space; the gateway reads the user trimmed.
    /// </summary>
    public bool PadUserClaims { get; init; }

    /// <summary>How long an ID token is valid.</summary>
    public TimeSpan IdentityTokenLifetime { get; init; } = TimeSpan.FromMinutes(20);
}
