using System.Net;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>What an app's response may not say on the gateway's behalf: its own X-Casb-* headers, its internal address.</summary>
public sealed class UpstreamResponseHeaderTests
{
    public static TheoryData<string, string> GatewayHeaders() => new()
    {
        { "1.1", "X-Casb-Correlation-Id" },
        { "2.0", "X-Casb-Correlation-Id" },
        { "1.1", "x-casb-correlation-id" },
        { "2.0", "X-CASB-CORRELATION-ID" },
        { "1.1", "X-Casb-Gateway-Process-Id" },
        { "2.0", "x-casb-gateway-process-id" },
        { "1.1", "X-Casb-Block-Reason" },
        { "2.0", "X-Casb-" },
    };

    [Theory]
    [MemberData(nameof(GatewayHeaders))]
    public async Task An_app_cannot_set_the_gateway_s_own_headers_and_the_client_sees_one_correlation_id_the_one_recorded(string version, string name)
    {
        await using FileUpstream upstream = await FileUpstream.StartAsync(context =>
        {
            context.Response.Headers.Append(name, "forged-by-the-app");
            context.Response.Headers.Append(name, "forged-again");
            return context.Response.WriteAsync("app page");
        });
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient(version: Version.Parse(version));

        using HttpResponseMessage response = await client.GetAsync("/page");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("app page", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain(response.Headers, h => h.Value.Any(v => v.Contains("forged", StringComparison.Ordinal)));
        string id = Assert.Single(response.Headers.GetValues("X-Casb-Correlation-Id"));
        Assert.Equal(id, Assert.Single(await harness.WaitForActivityAsync(1)).CorrelationId);
    }
}
