namespace CasbGateway.SignIn;

/// <summary>The gateway's authentication schemes and the names of its cookies.</summary>
internal static class SignInSchemes
{
    /// <summary>The session cookie (ASP.NET Core's cookie handler).</summary>
    public const string Session = "CasbSession";

    /// <summary>The OpenID Connect handler (authorization code with PKCE).</summary>
    public const string OpenIdConnect = "CasbOpenIdConnect";

    /// <summary>
    /// Every cookie of the gateway starts with this: "__Host-" makes browsers keep it to the exact host (no Domain),
    /// Path=/ and Secure; the gateway removes such cookies from what it forwards upstream and from what the upstream sets.
    /// </summary>
    public const string CookiePrefix = "__Host-casb-";

    public const string SessionCookie = CookiePrefix + "session";
    public const string CorrelationCookie = CookiePrefix + "correlation.";
    public const string NonceCookie = CookiePrefix + "nonce.";

    /// <summary>The claim that ties a session to the identity provider it was issued under (<see cref="CasbCore.Model.IdentityProviderEntry.Id"/>).</summary>
    public const string ProviderClaim = "casb_idp";
}
