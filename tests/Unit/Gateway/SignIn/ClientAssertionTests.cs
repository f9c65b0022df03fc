using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbGateway.SignIn;
using CsCheck;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>
/// The client assertion as the token endpoint verifies it: the signature with the registered certificate's public key
/// and the claims and header each form requires. (The RFC 7523bis form is also verified end to end by the test identity
/// provider: SignInEndToEndTests.The_gateway_can_authenticate_to_the_identity_provider_with_a_client_certificate_instead_of_a_secret.)
/// </summary>
public sealed class ClientAssertionTests
{
    private const string ClientId = "2a3b-gateway-app";
    private const string EntraIssuer = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";
    private const string EntraTokenEndpoint = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token";

    private static X509Certificate2 Certificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=CASB gateway client", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    [Theory]
    [InlineData(EntraIssuer, true)]
    [InlineData("https://login.microsoftonline.us/tenant/v2.0", true)]
    [InlineData("https://idp.contoso.local/realms/staff", false)]
    [InlineData("https://login.microsoftonline.com.evil.example/x", false)]
    public async Task The_assertion_verifies_with_the_certificate_and_has_the_form_the_provider_expects(string issuer, bool entra)
    {
        using X509Certificate2 certificate = Certificate();
        string tokenEndpoint = entra ? EntraTokenEndpoint : issuer + "/protocol/openid-connect/token";
        DateTime now = DateTime.UtcNow;

        string assertion = ClientAssertion.Create(certificate, ClientId, issuer, tokenEndpoint, now);

        using X509Certificate2 publicOnly = X509CertificateLoader.LoadCertificate(certificate.RawData);
        TokenValidationResult result = await new JsonWebTokenHandler().ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            ValidIssuer = ClientId,
            ValidAudience = entra ? tokenEndpoint : issuer,
            IssuerSigningKey = new X509SecurityKey(publicOnly),
            ValidTypes = [entra ? "JWT" : "client-authentication+jwt"],
            RequireExpirationTime = true,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        Assert.Equal(ClientId, token.Subject);
        Assert.Equal(Base64UrlEncoder.Encode(certificate.GetCertHash()), token.GetHeaderValue<string>("x5t"));
        Assert.Equal(Base64UrlEncoder.Encode(certificate.GetCertHash(HashAlgorithmName.SHA256)), token.GetHeaderValue<string>("x5t#S256"));
        Assert.Equal("RS256", token.Alg);
        Assert.InRange(token.ValidTo - token.ValidFrom, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)); // Entra: at most 10 minutes
        Assert.Equal(32, token.Id.Length);
        Assert.NotEqual(token.Id, new JsonWebToken(ClientAssertion.Create(certificate, ClientId, issuer, tokenEndpoint, now)).Id); // no replay of a jti

        // Another key does not verify it: the provider checks the registered certificate.
        using X509Certificate2 other = Certificate();
        TokenValidationResult forged = await new JsonWebTokenHandler().ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            ValidIssuer = ClientId, ValidAudience = entra ? tokenEndpoint : issuer, IssuerSigningKey = new X509SecurityKey(other),
        });
        Assert.False(forged.IsValid);
    }

    /// <summary>Entra's form only for Entra's own hosts: any host around or beside one of them (a label before or after, one character off) is not Entra.</summary>
    [Fact]
    public void Only_Entras_exact_hosts_get_Entras_form()
    {
        Gen<string> label = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-"], 1, 12];
        Gen.Select(Gen.Int[0, ClientAssertion.EntraHosts.Count - 1], label, Gen.Int[0, 4], Gen.Int[0, 200]).Sample((pick, extra, how, position) =>
        {
            string host = ClientAssertion.EntraHosts[pick];
            string neighbour = how switch
            {
                0 => $"{host}.{extra}",
                1 => $"{extra}.{host}",
                2 => $"{host}{extra}",
                3 => $"{extra}{host}",
                _ => host[..(position % host.Length)] + (host[position % host.Length] == 'x' ? 'y' : 'x') + host[(position % host.Length + 1)..],
            };
            return !ClientAssertion.IsEntra($"https://{neighbour}/tenant/v2.0")
                && ClientAssertion.IsEntra($"https://{host.ToUpperInvariant()}/{extra}/v2.0")
                && ClientAssertion.IsEntra($"https://{host}./{extra}/v2.0");
        });
    }
}
