using System.Net;
using System.Net.Sockets;
using System.Text;
using CasbCore;
using CasbCore.SignIn;
using CasbTestIdentityProvider;

namespace CasbModule.Tests.SignIn;

/// <summary>The discovery check at Set- time, against a real provider and against bad documents.</summary>
public sealed class IdentityProviderMetadataTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_real_provider_is_accepted_when_its_TLS_certificate_is_trusted_and_refused_when_it_is_not()
    {
        await using TestIdentityProvider idp = await TestIdentityProvider.StartAsync(new TestIdentityProviderOptions());
        string authority = idp.Authority.ToString();

        IdentityProviderMetadata metadata = await IdentityProviderMetadataClient.FetchAsync(authority, idp.Certificate, Timeout);
        Assert.Equal(authority, metadata.Issuer);
        Assert.StartsWith(authority, metadata.TokenEndpoint);
        Assert.NotNull(metadata.EndSessionEndpoint);

        // Not trusted by the operating system, and the authority certificate is the only root that counts when set.
        CasbException untrusted = await Assert.ThrowsAsync<CasbException>(() => IdentityProviderMetadataClient.FetchAsync(authority, null, Timeout));
        Assert.Equal(IdentityProviderMetadataClient.Unreachable, untrusted.ErrorId);
        using var key = System.Security.Cryptography.ECDsa.Create();
        using var other = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=Another CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        CasbException wrongRoot = await Assert.ThrowsAsync<CasbException>(() => IdentityProviderMetadataClient.FetchAsync(authority, other, Timeout));
        Assert.Equal(IdentityProviderMetadataClient.Unreachable, wrongRoot.ErrorId);
    }

    [Fact]
    public async Task An_authority_nobody_answers_on_is_IdentityProviderUnreachable()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        CasbException ex = await Assert.ThrowsAsync<CasbException>(() => IdentityProviderMetadataClient.FetchAsync($"https://127.0.0.1:{port}/tenant/v2.0", null, Timeout));

        Assert.Equal(IdentityProviderMetadataClient.Unreachable, ex.ErrorId);
        Assert.Equal(CasbErrorKind.ConnectionError, ex.Kind);
    }

    [Theory]
    [InlineData("not json", IdentityProviderMetadataClient.MetadataInvalid)]
    [InlineData("[]", IdentityProviderMetadataClient.MetadataInvalid)]
    [InlineData("""{"issuer":"https://idp.example/t/v2.0","authorization_endpoint":"https://idp.example/a","jwks_uri":"https://idp.example/k"}""", IdentityProviderMetadataClient.MetadataInvalid)]
    [InlineData("""{"issuer":"https://idp.example/t/v2.0","authorization_endpoint":"https://idp.example/a","token_endpoint":"https://idp.example/t","jwks_uri":"https://idp.example/k","response_types_supported":["id_token","token id_token"]}""", IdentityProviderMetadataClient.MetadataInvalid)]
    [InlineData("""{"issuer":"https://idp.example/{tenantid}/v2.0","authorization_endpoint":"https://idp.example/a","token_endpoint":"https://idp.example/t","jwks_uri":"https://idp.example/k"}""", IdentityProviderMetadataClient.IssuerMismatch)]
    public void A_document_that_is_not_usable_discovery_is_refused(string document, string errorId)
    {
        CasbException ex = Assert.Throws<CasbException>(() => IdentityProviderMetadataClient.Parse(
            Encoding.UTF8.GetBytes(document), "https://idp.example/t/v2.0", new Uri("https://idp.example/t/v2.0/.well-known/openid-configuration")));

        Assert.Equal(errorId, ex.ErrorId);
    }

    [Fact]
    public void The_issuer_may_differ_from_the_authority_by_a_trailing_slash_only()
    {
        const string document = """{"issuer":"https://idp.example/t/v2.0/","authorization_endpoint":"https://idp.example/a","token_endpoint":"https://idp.example/t","jwks_uri":"https://idp.example/k","response_types_supported":["code","id_token"]}""";

        IdentityProviderMetadata metadata = IdentityProviderMetadataClient.Parse(Encoding.UTF8.GetBytes(document), "https://idp.example/t/v2.0", new Uri("https://idp.example/"));

        Assert.Equal("https://idp.example/t/v2.0/", metadata.Issuer);
    }
}
