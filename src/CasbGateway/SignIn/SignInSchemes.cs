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

    /// <summary>The session's own id in its ticket's properties (random, made at sign-in): what a sign-out records as ended.</summary>
    public const string SessionIdItem = ".casb.session";

    /// <summary>
    /// The revocations (Revoke-CasbSession) and back-channel logouts of the session's user the gateway had read when it
    /// signed the session in (<see cref="EndedSessionSet.Seen"/>): the ones it is not ended by, whatever the clocks say.
    /// </summary>
    public const string EndedSeenItem = ".casb.ended-seen";

    /// <summary>A new session id: 128 random bits, base64url.</summary>
    public static string NewSessionId() => Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// The user of a session as enforcement reads it (<see cref="CasbCore.SignIn.SignInClaims.UserOf(IReadOnlyList{KeyValuePair{string, string}}, string)"/>:
    /// the provider's UserClaim now, trimmed, its first non-blank value), for every reader of a session: the activity records of
    /// sign-outs and Revoke-CasbSession's lookup. Never the identity's Name, which is the claim named at sign-in, untrimmed.
    /// </summary>
    public static string? UserOf(System.Security.Claims.ClaimsPrincipal? principal, string userClaim) =>
        principal is null ? null : CasbCore.SignIn.SignInClaims.UserOf(ClaimsOf(principal), userClaim);

    /// <summary>A principal's claims as the engine reads them (type and value, in order).</summary>
    public static KeyValuePair<string, string>[] ClaimsOf(System.Security.Claims.ClaimsPrincipal principal) =>
        principal.Claims.Select(c => new KeyValuePair<string, string>(c.Type, c.Value)).ToArray();

    public static string? EndedSeenOf(Microsoft.AspNetCore.Authentication.AuthenticationProperties properties) =>
        properties.Items.TryGetValue(EndedSeenItem, out string? seen) ? seen ?? "" : null;

    public static string? SessionIdOf(Microsoft.AspNetCore.Authentication.AuthenticationProperties properties) =>
        properties.Items.TryGetValue(SessionIdItem, out string? id) && !string.IsNullOrEmpty(id) ? id : null;
}
