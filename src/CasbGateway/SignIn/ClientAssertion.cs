using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CasbGateway.SignIn;

/// <summary>
/// The client assertion (private_key_jwt) a client certificate signs for the token endpoint. Two forms: RFC 7523bis's
/// (audience the issuer, type client-authentication+jwt; servers such as OpenIddict 7 require both) and, for Entra ID,
/// the form Microsoft documents for certificate credentials (audience the token endpoint, type JWT, the certificate's
/// SHA-1 thumbprint as x5t and its SHA-256 as x5t#S256 in the header).
/// </summary>
internal static class ClientAssertion
{
    public const string Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// <summary>How long an assertion is valid (Entra ID accepts up to 10 minutes).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    public static string Create(X509Certificate2 certificate, string clientId, string? issuer, string? tokenEndpoint, DateTime now)
    {
        bool entra = IsEntra(issuer);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId,
            Audience = entra ? tokenEndpoint : issuer,
            TokenType = entra ? "JWT" : "client-authentication+jwt",
            Claims = new Dictionary<string, object> { ["sub"] = clientId, ["jti"] = Guid.NewGuid().ToString("N") },
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = new X509SigningCredentials(certificate),
            // x5t (the SHA-1 thumbprint) is written by the handler for an X.509 key; Entra ID now also reads x5t#S256.
            AdditionalHeaderClaims = new Dictionary<string, object>
            {
                ["x5t#S256"] = Base64UrlEncoder.Encode(certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256)),
            },
        });
    }

    /// <summary>The hosts of Entra ID's issuers (global cloud, v2 and v1, and the national clouds).</summary>
    public static IReadOnlyList<string> EntraHosts { get; } =
        ["login.microsoftonline.com", "sts.windows.net", "login.microsoftonline.us", "login.partner.microsoftonline.cn", "login.chinacloudapi.cn"];

    /// <summary>Whether the issuer is Entra ID's: its host is one of <see cref="EntraHosts"/> exactly (a look-alike such as login.microsoftonline.com.example is not).</summary>
    public static bool IsEntra(string? issuer) =>
        Uri.TryCreate(issuer, UriKind.Absolute, out Uri? uri)
        && EntraHosts.Contains(uri.IdnHost.TrimEnd('.'), StringComparer.OrdinalIgnoreCase);
}
