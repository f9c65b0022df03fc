using CasbGateway.Enforcement;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

public sealed class HeaderStrippingTests
{
    [Theory]
    [InlineData("Client-Cert")]
    [InlineData("client-cert-chain")]
    [InlineData("X-Client-Cert")]
    [InlineData("X-Forwarded-Client-Cert")]
    [InlineData("X-SSL-Client-Cert")]
    [InlineData("x-ssl-client-s-dn")]
    [InlineData("X-ARR-ClientCert")]
    [InlineData("X-Casb-Device")]
    [InlineData("X-Signed-In-User")]
    public void Identity_headers_a_client_could_forge_are_removed(string name)
    {
        var headers = new HeaderDictionary { [name] = "forged", ["Accept"] = "text/html", ["Cookie"] = "a=b" };

        HeaderStrippingMiddleware.Strip(headers, "X-Signed-In-User");

        Assert.False(headers.ContainsKey(name));
        Assert.Equal("text/html", headers["Accept"]);
        Assert.Equal("a=b", headers["Cookie"]);
    }
}
