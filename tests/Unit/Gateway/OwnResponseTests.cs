using System.Net;
using CasbCore.Gateways;
using CasbCore.Policies;
using CasbGateway.Hosting;

namespace CasbModule.Tests.Gateway;

/// <summary>What the gateway's own answers carry: its correlation id, health details for the trusted only, security headers.</summary>
public sealed class OwnResponseTests
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public async Task Two_requests_with_the_same_traceparent_get_their_own_correlation_ids_and_keep_the_trace_id_apart()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();

        var ids = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, "/");
            message.Headers.TryAddWithoutValidation("traceparent", TraceParent);
            using HttpResponseMessage response = await client.SendAsync(message);
            ids.Add(response.Headers.GetValues("X-Casb-Correlation-Id").Single());
        }

        Assert.NotEqual(ids[0], ids[1]);
        Assert.DoesNotContain("0af7651916cd43dd8448eb211c80319c", ids);
        var records = await harness.WaitForActivityAsync(2);
        Assert.Equal(ids.Order(), records.Select(r => r.CorrelationId).Order());
        Assert.All(records, r => Assert.Equal("0af7651916cd43dd8448eb211c80319c", r.TraceId));
    }

    /// <summary>
    /// Start-CasbGateway and Get-CasbGateway tell their own process by /healthz's process id, over loopback: also when
    /// loopback is a trusted proxy, whose requests without X-Forwarded-For are an unknown client's.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData("127.0.0.0/8")]
    public async Task The_start_probe_reads_the_process_id_when_loopback_is_a_trusted_proxy_or_not(string? trustedProxy)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            if (trustedProxy is not null)
            {
                c.Settings.TrustedProxies.Add(trustedProxy);
            }
        });

        string healthUrl = new Uri(harness.GatewayUrl, "/healthz").ToString();
        Assert.True(await GatewayProcesses.ProbeHealthAsync(healthUrl, TimeSpan.FromSeconds(10), CancellationToken.None, Environment.ProcessId));
        Assert.True(await GatewayProcesses.ProbeHealthAsync(healthUrl.Replace("127.0.0.1", "localhost", StringComparison.Ordinal), TimeSpan.FromSeconds(10), CancellationToken.None, Environment.ProcessId));
    }

    [Fact]
    public async Task Health_details_are_for_the_metrics_callers_only()
    {
        await using GatewayHarness trusted = await GatewayHarness.StartAsync();
        using HttpClient trustedClient = trusted.CreateClient();
        await using GatewayHarness other = await GatewayHarness.StartAsync(metricsAllowedFrom: [IPNetwork.Parse("192.0.2.0/24")]);
        using HttpClient otherClient = other.CreateClient();

        using HttpResponseMessage trustedHealth = await trustedClient.GetAsync("/healthz");
        using HttpResponseMessage otherHealth = await otherClient.GetAsync("/healthz");

        Assert.Equal(Environment.ProcessId.ToString(), trustedHealth.Headers.GetValues(HealthEndpoints.ProcessIdHeader).Single());
        Assert.Equal("Healthy\n", await otherHealth.Content.ReadAsStringAsync());
        Assert.False(otherHealth.Headers.Contains(HealthEndpoints.ProcessIdHeader));
        Assert.Matches(@"^Ready: revision 1 \(sha256 [0-9a-f]{12}\)\n$", await trustedClient.GetStringAsync("/readyz"));
        Assert.Equal("Ready\n", await otherClient.GetStringAsync("/readyz"));
    }

    [Theory]
    [InlineData("203.0.113.7", false)]
    [InlineData("127.0.0.1, 203.0.113.7", false)]
    [InlineData("unknown", false)]
    [InlineData("203.0.113.7, 127.0.0.1", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData(" ", false)]
    public async Task Through_a_trusted_proxy_the_metrics_callers_are_the_clients_it_forwards_for_not_the_proxy(string? forwardedFor, bool caller)
    {
        // A proxy on the gateway's own host (loopback, the default --metrics-allow) relays every client of the internet;
        // one that names no client (nginx sends no X-Forwarded-For unless told to) relays someone unknown, not itself.
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c => c.Settings.TrustedProxies.Add("127.0.0.0/8"));
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();

        async Task<HttpResponseMessage> Get(string path)
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, path);
            if (forwardedFor is not null)
            {
                message.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
            }

            return await client.SendAsync(message);
        }

        using HttpResponseMessage health = await Get("/healthz");
        using HttpResponseMessage ready = await Get("/readyz");
        using HttpResponseMessage metrics = await Get("/metrics");

        Assert.Equal(caller, health.Headers.Contains(HealthEndpoints.ProcessIdHeader));
        string readyBody = await ready.Content.ReadAsStringAsync();
        string metricsBody = await metrics.Content.ReadAsStringAsync();
        if (caller)
        {
            Assert.StartsWith("Ready: revision 1", readyBody);
            Assert.Contains("casb_gateway_", metricsBody);
        }
        else
        {
            Assert.Equal("Ready\n", readyBody);
            // An ordinary path: decided and proxied to the app (the sample app shows the path it was asked for).
            Assert.DoesNotContain("casb_gateway_", metricsBody);
            Assert.Contains("/metrics", metricsBody);
            Assert.True(metrics.Headers.Contains("X-Casb-Correlation-Id"));
        }
    }

    [Fact]
    public async Task The_gateway_s_own_pages_forbid_framing_and_referrers_and_pin_HTTPS_but_the_app_s_responses_are_left_alone()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => request.Path == "/blocked"
            ? new AccessDecision { Action = AccessAction.Block, App = GatewayHarness.AppName, Revision = state.Revision }
            : harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();

        foreach (string path in new[] { "/blocked", "/healthz", "/readyz", "/metrics" })
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, path);
            message.Headers.Accept.ParseAdd("text/html");
            using HttpResponseMessage own = await client.SendAsync(message);
            Assert.Contains("frame-ancestors 'none'", string.Join(";", own.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("no-referrer", own.Headers.GetValues("Referrer-Policy").Single());
            Assert.Equal(OwnResponseHeaders.StrictTransportSecurity, own.Headers.GetValues("Strict-Transport-Security").Single());
            Assert.Equal("nosniff", own.Headers.GetValues("X-Content-Type-Options").Single());
        }

        using HttpResponseMessage app = await client.GetAsync("/page");
        Assert.Equal(HttpStatusCode.OK, app.StatusCode);
        Assert.False(app.Headers.Contains("Strict-Transport-Security"));
        Assert.False(app.Headers.Contains("Referrer-Policy"));
        Assert.False(app.Headers.Contains("Content-Security-Policy"));
    }
}
