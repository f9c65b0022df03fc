using System.Net;
using CasbGateway.Hosting;
using CsCheck;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Routing.Patterns;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A request whose path cannot be one of the gateway's own endpoints goes straight to enforcement, without endpoint
/// routing (<see cref="OwnEndpoints.MayBeOwn"/>). These keep that shortcut a superset of routing: no path routing would
/// give to health, readiness or metrics ever takes it, whatever endpoint is added later.
/// </summary>
public sealed class OwnEndpointsTests
{
    private static readonly string[] Fillers = ["", "x", "healthz", "metrics", "readyz", ".casb", "HEALTHZ", "health", "healthzz", "%2F", "a.b"];

    [Fact]
    public async Task Every_route_the_gateway_maps_is_a_path_the_shortcut_leaves_to_routing_in_any_case_and_with_more_after_it()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        RoutePattern[] patterns = harness.GatewayServices.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>().Select(e => e.RoutePattern).ToArray();
        string[] literals = patterns.Select(p => Assert.IsType<RoutePatternLiteralPart>(Assert.Single(p.PathSegments[0].Parts)).Content).ToArray();
        Assert.Equal(["healthz", "metrics", "readyz"], literals.Order(StringComparer.Ordinal));

        Gen.Select(Gen.OneOf(literals.Select(Gen.Const).ToArray()), Gen.Bool.Array[1, 8], Gen.Int[0, 3], Gen.OneOf(Fillers.Select(Gen.Const).ToArray()))
            .Sample((literal, upper, tail, filler) =>
            {
                string spelt = new(literal.Select((c, i) => upper[i % upper.Length] ? char.ToUpperInvariant(c) : c).ToArray());
                string path = "/" + spelt + tail switch { 0 => "", 1 => "/", 2 => "/" + filler, _ => "/" + filler + "/" };
                return OwnEndpoints.MayBeOwn(path);
            });
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/healthzx")]
    [InlineData("/x/healthz")]
    [InlineData("/health")]
    [InlineData("/metricsfoo/bar")]
    [InlineData("/casb/signin")]
    public void A_path_no_own_endpoint_answers_takes_the_shortcut(string path) =>
        Assert.False(OwnEndpoints.MayBeOwn(path));

    [Theory]
    [InlineData("/.casb/signin")]
    [InlineData("/.CASB/whatever")]
    [InlineData("//.casb/signin")]
    [InlineData("/HealthZ/")]
    [InlineData("*")]
    [InlineData("")]
    public void A_path_an_own_endpoint_may_answer_takes_the_long_way(string path) =>
        Assert.True(OwnEndpoints.MayBeOwn(path));

    [Fact]
    public async Task Own_endpoints_answer_in_any_case_and_the_paths_beside_them_are_decided_and_proxied()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();

        foreach (string path in new[] { "/HEALTHZ", "/healthz/", "/ReadyZ", "/Metrics" })
        {
            using HttpResponseMessage own = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
            Assert.Equal("DENY", own.Headers.GetValues("X-Frame-Options").Single());
        }

        Assert.Equal(0, harness.UpstreamRequests);
        string[] appPaths = ["/healthzx", "/x/healthz", "/app/metrics", "/"];
        foreach (string path in appPaths)
        {
            using HttpResponseMessage proxied = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
            Assert.False(proxied.Headers.Contains("X-Frame-Options"));
        }

        Assert.Equal(appPaths.Length, harness.UpstreamRequests);
        var records = await harness.WaitForActivityAsync(appPaths.Length);
        Assert.Equal(appPaths.Order(StringComparer.Ordinal), records.Select(r => r.Path).Order(StringComparer.Ordinal));
    }
}
