using CsCheck;
using System.Net;
using System.Text.Json;
using CasbCore.Certificates;
using CasbCore.Policies;
using CasbGateway.Enforcement;

namespace CasbModule.Tests.Gateway;

/// <summary>The gateway's request path over real TLS on loopback, with the decision scripted (the engine is tested on its own).</summary>
public sealed class RequestPathTests : IClassFixture<LabPkiFixture>
{
    private const string Browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

    private readonly LabPki _pki;

    public RequestPathTests(LabPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task An_allowed_request_reaches_the_upstream_with_forwarded_headers_and_without_forged_identity_headers(string httpVersion)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient(_pki.Client, Version.Parse(httpVersion));
        using var message = new HttpRequestMessage(HttpMethod.Get, "/reports/q3?x=1")
        {
            Version = Version.Parse(httpVersion),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        message.Headers.Add("X-Client-Cert", "forged");
        message.Headers.Add("Client-Cert", ":Zm9yZ2Vk:");
        message.Headers.Add("X-SSL-Client-Verify", "SUCCESS");
        message.Headers.Add("X-Forwarded-Client-Cert", "Hash=forged");
        message.Headers.Add("X-Casb-User", "admin@contoso.com");
        message.Headers.Add("X-Forwarded-For", "10.9.9.9");

        using HttpResponseMessage response = await client.SendAsync(message);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Version.Parse(httpVersion), response.Version);
        Assert.Contains("Hello from the Casb sample app", body);
        Assert.Contains("<dd id=\"path\">/reports/q3?x=1</dd>", body);
        Assert.Contains("<dd id=\"x-forwarded-for\">127.0.0.1</dd>", body);
        Assert.Contains("<dd id=\"x-forwarded-proto\">https</dd>", body);
        Assert.Contains($"<dd id=\"x-forwarded-host\">127.0.0.1:{harness.GatewayUrl.Port}</dd>", body);
        Assert.Contains("<dd id=\"client-cert\">absent</dd>", body);
        Assert.DoesNotContain("forged", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("X-SSL-Client-Verify", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("admin@contoso.com", body);
        Assert.DoesNotContain("10.9.9.9", body);

        // The engine saw the TLS client certificate and nothing from the forged headers.
        AccessRequest seen = Assert.Single(harness.Decider.Requests);
        Assert.Equal(_pki.Client.Thumbprint, seen.ClientCertificate?.Thumbprint);
        Assert.Null(seen.IdentityHeaderValue);
        Assert.Equal(IPAddress.Loopback, seen.ClientAddress);
        Assert.Equal("127.0.0.1", seen.Host);
        Assert.Equal("/reports/q3", seen.Path);
    }

    [Fact]
    public async Task The_validated_leaf_goes_upstream_as_an_RFC_9440_Client_Cert_header_when_the_app_asks_for_it()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(forwardClientCertificate: true);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient(_pki.Client);
        using var message = new HttpRequestMessage(HttpMethod.Get, "/");
        message.Headers.Add("Client-Cert", ":Zm9yZ2Vk:");

        string body = await (await client.SendAsync(message)).Content.ReadAsStringAsync();

        Assert.Contains($"Client-Cert: :{Convert.ToBase64String(_pki.Client.RawData)}:", body);
        Assert.DoesNotContain("Zm9yZ2Vk", body);
    }

    [Fact]
    public async Task Without_a_client_certificate_no_Client_Cert_header_goes_upstream_even_when_forged()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(forwardClientCertificate: true);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        using var message = new HttpRequestMessage(HttpMethod.Get, "/");
        message.Headers.Add("Client-Cert", ":Zm9yZ2Vk:");

        string body = await (await client.SendAsync(message)).Content.ReadAsStringAsync();

        Assert.Contains("<dd id=\"client-cert\">absent</dd>", body);
        Assert.Null(Assert.Single(harness.Decider.Requests).ClientCertificate);
    }

    [Fact]
    public async Task The_identity_header_is_passed_to_the_engine_only_from_a_trusted_proxy_and_never_upstream()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c => c.Settings.TrustedProxies.Add("127.0.0.0/8"));
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        using var message = new HttpRequestMessage(HttpMethod.Get, "/");
        message.Headers.Add("X-Casb-User", "alice@contoso.com");
        message.Headers.Add("X-Forwarded-For", "203.0.113.7");

        string body = await (await client.SendAsync(message)).Content.ReadAsStringAsync();

        AccessRequest seen = Assert.Single(harness.Decider.Requests);
        Assert.Equal("alice@contoso.com", seen.IdentityHeaderValue);
        Assert.Equal(IPAddress.Parse("203.0.113.7"), seen.ClientAddress);
        Assert.Equal(IPAddress.Loopback, seen.RemoteAddress);
        Assert.DoesNotContain("alice@contoso.com", body);
        Assert.Contains("<dd id=\"x-forwarded-for\">203.0.113.7, 127.0.0.1</dd>", body);
    }

    /// <summary>
    /// A trusted proxy that adds its identity header after the client's own copy (Envoy's request_headers_to_add appends
    /// by default) sends two: the user is the proxy's, the last, as the right-most X-Forwarded-For entry is its own; the
    /// two joined named no one a policy names, so a policy for that user did not apply.
    /// </summary>
    [Fact]
    public async Task Of_two_identity_headers_from_a_trusted_proxy_the_last_names_the_user()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.Settings.TrustedProxies.Add("127.0.0.0/8");
            c.ConditionalAccessPolicies.Add(new CasbCore.Model.ConditionalAccessPolicyEntry
            {
                Name = "Contractors via App Control", IncludeUsers = { "contractor@contoso.com" }, SessionControl = CasbCore.Model.SessionControlKind.AppControl,
            });
            c.AccessPolicies.Add(new CasbCore.Model.AccessPolicyEntry
            {
                Name = "No contractors", Action = CasbCore.Model.AccessPolicyAction.Block, ClientApp = CasbCore.Model.AccessPolicyClientApp.Any,
                BlockMessage = "Contractors are blocked.",
            });
        });
        string request = $"GET /reports HTTP/1.1\r\nHost: {harness.GatewayUrl.Authority}\r\nX-Casb-User: ceo@contoso.com\r\n"
            + "X-Casb-User: contractor@contoso.com\r\nConnection: close\r\n\r\n";
        await using System.Net.Security.SslStream tls = await RawHttps.ConnectHttp11Async(harness.GatewayUrl.Port);
        await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        string response = await new StreamReader(tls).ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 403", response);
        Assert.Contains("Contractors are blocked.", response);
        Assert.Equal("ceo@contoso.com,contractor@contoso.com", Assert.Single(harness.Decider.Requests).IdentityHeaderValue);
    }

    /// <summary>
    /// RFC 9110 §5.3: one identity-header line "mallory, alice" is the same field as two lines "mallory" and "alice", so
    /// both name the last element, trimmed (an empty one names no one). Read whole, "mallory, alice" matched no policy
    /// for alice. Lines x commas x white space x empty elements, over raw HTTP/1.1 so each line reaches the gateway as sent.
    /// </summary>
    [Fact]
    public async Task Property_an_identity_header_names_its_last_list_element_on_one_line_or_several()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.Settings.TrustedProxies.Add("127.0.0.0/8");
            c.ConditionalAccessPolicies.Add(new CasbCore.Model.ConditionalAccessPolicyEntry
            {
                Name = "Alice via App Control", IncludeUsers = { "alice@contoso.com" }, SessionControl = CasbCore.Model.SessionControlKind.AppControl,
            });
            c.AccessPolicies.Add(new CasbCore.Model.AccessPolicyEntry
            {
                Name = "No alice", Action = CasbCore.Model.AccessPolicyAction.Block, ClientApp = CasbCore.Model.AccessPolicyClientApp.Any,
                Users = { "alice@contoso.com" }, BlockMessage = "Alice is blocked.",
            });
        });
        Gen<string> element = Gen.OneOf<string>("alice@contoso.com", "ALICE@Contoso.com", "mallory@contoso.com", "");
        Gen<string> space = Gen.OneOf<string>("", " ", "\t", "  ");
        Gen<string> line = Gen.Select(element, space, space).Array[1, 3]
            .Select(parts => string.Join(",", parts.Select(p => p.Item2 + p.Item1 + p.Item3)));

        await line.Array[1, 3].SampleAsync(
            async lines =>
            {
                string last = lines[^1].Split(',')[^1].Trim(' ', '\t');
                bool alice = string.Equals(last, "alice@contoso.com", StringComparison.OrdinalIgnoreCase);
                string request = $"GET /reports HTTP/1.1\r\nHost: {harness.GatewayUrl.Authority}\r\n"
                    + string.Concat(lines.Select(l => $"X-Casb-User: {l}\r\n")) + "Connection: close\r\n\r\n";
                await using System.Net.Security.SslStream tls = await RawHttps.ConnectHttp11Async(harness.GatewayUrl.Port);
                await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
                string response = await new StreamReader(tls).ReadToEndAsync();

                Assert.True(alice == response.StartsWith("HTTP/1.1 403", StringComparison.Ordinal), string.Join(" | ", lines) + "\n" + response);
                Assert.Equal(alice, response.Contains("Alice is blocked.", StringComparison.Ordinal));
            },
            iter: 120, threads: 2);
    }

    /// <summary>
    /// A trusted proxy's right-most X-Forwarded-For entry as proxies write it: with a port (Azure Application Gateway),
    /// an IPv6 address in brackets, or something that is no address ("unknown"). An entry the gateway cannot read must
    /// leave the client unknown (in no range), never make it the proxy itself, whose address an office range may hold.
    /// </summary>
    [Theory]
    [InlineData("203.0.113.7", 403)]
    [InlineData("203.0.113.7:54321", 403)]
    [InlineData("[2001:db8::7]", 403)]
    [InlineData("[2001:db8::7]:443", 403)]
    [InlineData("2001:db8::7", 403)]
    [InlineData("unknown", 403)]
    [InlineData("127.0.0.9, unknown", 403)]
    [InlineData("127.0.0.9, _hidden", 403)]
    [InlineData("127.0.0.9, ", 403)]
    [InlineData("127.0.0.9", 200)]
    [InlineData("127.0.0.9:54321", 200)]
    [InlineData("203.0.113.7, 127.0.0.9", 200)]
    [InlineData("[::ffff:127.0.0.9]:1", 200)]
    public async Task An_IP_range_filter_reads_the_trusted_proxy_s_right_most_forwarded_address_and_fails_closed_on_one_it_cannot_read(string forwardedFor, int status)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.Settings.TrustedProxies.Add("127.0.0.0/8");
            c.ConditionalAccessPolicies.Add(new CasbCore.Model.ConditionalAccessPolicyEntry
            {
                Name = "Everyone via App Control", IncludeUsers = { "All" }, SessionControl = CasbCore.Model.SessionControlKind.AppControl,
            });
            c.AccessPolicies.Add(new CasbCore.Model.AccessPolicyEntry
            {
                Name = "Outside the office", Action = CasbCore.Model.AccessPolicyAction.Block, IPRanges = ["127.0.0.0/8"],
                IPRangeOperator = CasbCore.Model.IPRangeOperator.NotIn, ClientApp = CasbCore.Model.AccessPolicyClientApp.Any,
                BlockMessage = "Only from the office.",
            });
        });
        using HttpClient client = harness.CreateClient();
        using var message = new HttpRequestMessage(HttpMethod.Get, "/reports");
        message.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);

        using HttpResponseMessage response = await client.SendAsync(message);

        Assert.Equal(status, (int)response.StatusCode);
        if (status == 403)
        {
            Assert.Contains("Only from the office.", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_block_shows_the_branded_page_with_the_message_HTML_encoded_and_never_contacts_the_upstream()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => new AccessDecision
        {
            Action = AccessAction.Block,
            App = GatewayHarness.AppName,
            BlockingPolicy = "Require certificate",
            BlockMessage = "Use a <b>company</b> device & try again",
            Revision = state.Revision,
        };
        using HttpClient client = harness.CreateClient();
        using var message = new HttpRequestMessage(HttpMethod.Get, "/");
        message.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");

        using HttpResponseMessage response = await client.SendAsync(message);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>Access blocked</title>", body);
        Assert.Contains("Use a &lt;b&gt;company&lt;/b&gt; device &amp; try again", body);
        Assert.DoesNotContain("<b>company</b>", body);
        Assert.Contains(GatewayHarness.AppName, body);
        string correlationId = response.Headers.GetValues("X-Casb-Correlation-Id").Single();
        Assert.Contains(correlationId, body);
        Assert.Equal(0, harness.UpstreamRequests);

        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal("Block", record.Action);
        Assert.Equal(403, record.HttpStatus);
        Assert.Equal(correlationId, record.CorrelationId);
        Assert.Equal("Use a <b>company</b> device & try again", record.BlockMessage);
        Assert.Equal("Require certificate", record.BlockingPolicy);
    }

    [Fact]
    public async Task A_non_browser_client_gets_403_with_a_short_JSON_body()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => new AccessDecision
        {
            Action = AccessAction.Block,
            App = GatewayHarness.AppName,
            BlockMessage = "Use a company device.",
            ClientAppType = CasbCore.Model.ClientAppType.MobileAndDesktop,
        };
        using HttpClient client = harness.CreateClient();
        using var message = new HttpRequestMessage(HttpMethod.Get, "/");
        message.Headers.Accept.ParseAdd("text/html");

        using HttpResponseMessage response = await client.SendAsync(message);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("access_blocked", json.RootElement.GetProperty("error").GetString());
        Assert.Equal("Use a company device.", json.RootElement.GetProperty("message").GetString());
        Assert.Equal(GatewayHarness.AppName, json.RootElement.GetProperty("app").GetString());
        Assert.Equal(response.Headers.GetValues("X-Casb-Correlation-Id").Single(), json.RootElement.GetProperty("correlationId").GetString());
    }

    [Fact]
    public async Task An_exception_in_the_decision_fails_closed_with_403_a_generic_page_and_an_activity_record()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (_, _) => throw new InvalidOperationException("secret internal detail");
        using HttpClient client = harness.CreateClient(_pki.Client);
        using var message = new HttpRequestMessage(HttpMethod.Get, "/");
        message.Headers.Accept.ParseAdd("text/html");

        using HttpResponseMessage response = await client.SendAsync(message);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Access blocked", body);
        Assert.Contains(ResponsePages.GenericBlockMessage, body);
        Assert.DoesNotContain("secret internal detail", body);
        Assert.DoesNotContain("at CasbGateway", body);
        Assert.Equal(0, harness.UpstreamRequests);

        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal("Block", record.Action);
        Assert.Equal(403, record.HttpStatus);
        Assert.Contains("secret internal detail", record.Error);
        Assert.Equal(_pki.Client.Thumbprint, record.CertificateThumbprint);
    }

    [Fact]
    public async Task An_unknown_host_gets_404_and_nothing_is_proxied()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => new AccessDecision { Action = AccessAction.Allow, App = null, Revision = state.Revision };
        using HttpClient client = harness.CreateClient();
        using var message = new HttpRequestMessage(HttpMethod.Get, "/");
        message.Headers.Host = "unknown.contoso.local";
        message.Headers.Accept.ParseAdd("text/html");

        using HttpResponseMessage response = await client.SendAsync(message);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("No app is published at this address", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, harness.UpstreamRequests);
        Assert.Equal("unknown.contoso.local", Assert.Single(harness.Decider.Requests).Host);
        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(404, record.HttpStatus);
        Assert.Equal("Block", record.Action);
    }

    [Fact]
    public async Task An_upstream_that_refuses_connections_gives_a_branded_502()
    {
        int closedPort = FreePort();
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: $"http://127.0.0.1:{closedPort}");
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        using var message = new HttpRequestMessage(HttpMethod.Get, "/");
        message.Headers.Accept.ParseAdd("text/html");

        using HttpResponseMessage response = await client.SendAsync(message);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("The app is not reachable", body);
        Assert.DoesNotContain("   at ", body);
        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(502, record.HttpStatus);
        Assert.Contains("Upstream", record.Error);
    }

    [Fact]
    public async Task An_upstream_that_does_not_answer_in_time_gives_504()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamTimeout: TimeSpan.FromSeconds(1));
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.GetAsync("/slow?seconds=10");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream_timeout", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Health_readiness_and_metrics_are_answered_by_the_gateway_itself()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        (await client.GetAsync("/")).EnsureSuccessStatusCode();

        Assert.Equal("Healthy\n", await client.GetStringAsync("/healthz"));
        Assert.StartsWith("Ready: revision 1", await client.GetStringAsync("/readyz"));
        string metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("casb_gateway_requests", metrics);
        Assert.Contains("app=\"Sample App\"", metrics);
        Assert.Contains("casb_gateway_decision_duration", metrics);
        Assert.Contains("casb_gateway_activity_dropped", metrics);
        Assert.Equal(0 + 1, harness.UpstreamRequests);
        Assert.Single(harness.Decider.Requests);
    }

    [Fact]
    public async Task Metrics_are_not_for_every_client_for_others_metrics_is_an_ordinary_app_path()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(metricsAllowedFrom: [IPNetwork.Parse("192.0.2.0/24")]);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.GetAsync("/metrics");

        Assert.DoesNotContain("casb_gateway_requests", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, harness.UpstreamRequests);
        Assert.Equal("/metrics", Assert.Single(harness.Decider.Requests).Path);
    }

    [Fact]
    public async Task A_monitored_request_is_proxied_and_recorded_as_Monitor_and_a_body_past_30_MB_arrives_whole()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request, AccessAction.Monitor);
        using HttpClient client = harness.CreateClient(_pki.Client, HttpVersion.Version20);
        // Past Kestrel's own 30 MB default: the gateway sets no limit of its own unless told to.
        byte[] body = new byte[40 * 1024 * 1024];
        Random.Shared.NextBytes(body);
        using var message = new HttpRequestMessage(HttpMethod.Post, "/upload")
        {
            Version = HttpVersion.Version20,
            Content = new StreamContent(new MemoryStream(body)),
        };

        using HttpResponseMessage response = await client.SendAsync(message);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"Received {body.Length} bytes\n", await response.Content.ReadAsStringAsync());
        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal("Monitor", record.Action);
        Assert.Equal("POST", record.Method);
        Assert.Equal(200, record.HttpStatus);
        Assert.NotNull(record.UpstreamLatencyMs);
    }

    /// <summary>An open app on "/" and a protected app on "/admin" for the same hosts, both upstreams recording request lines.</summary>
    private static Task<GatewayHarness> StartOpenAndAdminAsync(RecordingUpstream upstream) =>
        GatewayHarness.StartAsync(
            c =>
            {
                c.Apps.Add(new CasbCore.Model.AppEntry { Name = "Admin", Upstream = upstream.Url.ToString(), Hostnames = { "localhost", "127.0.0.1" }, PathPrefix = "/admin" });
                c.ConditionalAccessPolicies.Add(new CasbCore.Model.ConditionalAccessPolicyEntry
                {
                    Name = "Admin via App Control", IncludeUsers = { "All" }, Apps = { "Admin" }, SessionControl = CasbCore.Model.SessionControlKind.AppControl,
                });
                c.AccessPolicies.Add(new CasbCore.Model.AccessPolicyEntry
                {
                    Name = "Admin needs a company device", Action = CasbCore.Model.AccessPolicyAction.Block, Apps = { "Admin" },
                    BlockMessage = "Admin needs a company device.", ClientApp = CasbCore.Model.AccessPolicyClientApp.Any,
                });
            },
            upstreamOverride: upstream.Url.ToString().TrimEnd('/'));

    [Theory]
    [InlineData("//admin/secret")]
    [InlineData("/.//admin/secret")]
    [InlineData("/x/../admin/secret")]
    [InlineData("/ADMIN/secret")]
    [InlineData("/adm%69n/secret")]
    public async Task Another_spelling_of_a_protected_path_gets_the_protected_app_s_block_page(string target)
    {
        await using var upstream = new RecordingUpstream();
        await using GatewayHarness harness = await StartOpenAndAdminAsync(upstream);

        RawResponse response = await RawHttps.SendAsync(harness.GatewayUrl, target, [new("Accept", "text/html"), new("User-Agent", Browser)]);

        Assert.Equal(403, response.Status);
        Assert.Contains("<title>Access blocked</title>", response.Body);
        Assert.Contains("Admin needs a company device.", response.Body);
        Assert.Empty(upstream.Requests);
        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Admin", "Block", 403), (record.App, record.Action, record.HttpStatus));
    }

    [Theory]
    [InlineData("//reports//q3/./x?y=%41&z", "/reports/q3/x?y=%41&z")]
    [InlineData("/a/b/../../reports/", "/reports/")]
    [InlineData("/caf%c3%a9/%7Euser", "/caf%C3%A9/~user")]
    [InlineData("/a%3Fb%23c?q", "/a%3Fb%23c?q")]
    [InlineData("/a|b\"c", "/a%7Cb%22c")]
    [InlineData("/reports#fragment", "/reports")]
    public async Task The_upstream_receives_exactly_the_canonical_path_the_engine_decided_on(string target, string forwarded)
    {
        await using var upstream = new RecordingUpstream();
        await using GatewayHarness harness = await StartOpenAndAdminAsync(upstream);

        RawResponse response = await RawHttps.SendAsync(harness.GatewayUrl, target);

        Assert.Equal(200, response.Status);
        Assert.Equal(forwarded, Assert.Single(upstream.Requests).Target);
        AccessRequest seen = Assert.Single(harness.Decider.Requests);
        Assert.Equal(forwarded.Split('?')[0], seen.Path);
        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal((GatewayHarness.AppName, forwarded.Split('?')[0]), (record.App, record.Path));
    }

    [Theory]
    [InlineData("/x//../.casb/signin-oidc?code=1")]
    [InlineData("/x/.//../.casb/anything")]
    [InlineData("/x///../../.casb/anything")]
    public async Task A_target_whose_canonical_path_is_under_the_reserved_prefix_is_never_forwarded(string target)
    {
        // Kestrel resolves ".." against the empty segment ("/x//.." is "/x/"), the canonical path merges slashes first
        // ("/x//.." is "/"): whichever reading, nothing under /.casb reaches an app.
        await using var upstream = new RecordingUpstream();
        await using GatewayHarness harness = await StartOpenAndAdminAsync(upstream);

        RawResponse response = await RawHttps.SendAsync(harness.GatewayUrl, target);

        Assert.NotEqual(200, response.Status);
        Assert.Empty(upstream.Requests);
    }

    [Fact]
    public async Task An_absolute_form_target_is_decided_on_its_canonical_path()
    {
        await using var upstream = new RecordingUpstream();
        await using GatewayHarness harness = await StartOpenAndAdminAsync(upstream);

        RawResponse blocked = await RawHttps.SendAsync(harness.GatewayUrl, $"https://{harness.GatewayUrl.Authority}//admin/secret");
        RawResponse allowed = await RawHttps.SendAsync(harness.GatewayUrl, $"https://{harness.GatewayUrl.Authority}//reports/./x");

        Assert.Equal(403, blocked.Status);
        Assert.Equal(200, allowed.Status);
        Assert.Equal("/reports/x", Assert.Single(upstream.Requests).Target);
    }

    [Fact]
    public async Task An_encoded_slash_gets_400_with_the_branded_page_an_activity_record_and_nothing_upstream()
    {
        await using var upstream = new RecordingUpstream();
        await using GatewayHarness harness = await StartOpenAndAdminAsync(upstream);

        RawResponse response = await RawHttps.SendAsync(harness.GatewayUrl, "/admin%2Fsecret?x=1", [new("Accept", "text/html"), new("User-Agent", Browser)]);

        Assert.Equal(400, response.Status);
        Assert.Equal("text/html; charset=utf-8", response.Headers["Content-Type"]);
        Assert.Contains("<title>Address not accepted</title>", response.Body);
        Assert.Contains("This address cannot be used: it contains an encoded &#39;/&#39; (%2F)", response.Body);
        Assert.Contains(response.CorrelationId!, response.Body);
        Assert.Empty(upstream.Requests);
        Assert.Empty(harness.Decider.Requests);

        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal((null, "Block", 400), (record.App, record.Action, record.HttpStatus));
        Assert.Equal(response.CorrelationId, record.CorrelationId);
        Assert.Equal("/admin%2Fsecret", record.Path);
        Assert.StartsWith("RequestPathAmbiguous: it contains an encoded '/' (%2F)", record.Error);
        Assert.Equal("Client", record.ErrorSource);
        Assert.StartsWith("This address cannot be used: it contains an encoded '/' (%2F)", record.BlockMessage);
    }

    [Theory]
    [InlineData("/admin%2fsecret", "encoded '/' (%2F)")]
    [InlineData("/admin%5Csecret", "encoded backslash (%5C)")]
    [InlineData("/admin\\secret", "backslash")]
    [InlineData("/admin;jsessionid=1/secret", "';' path parameter")]
    [InlineData("/%2e%2e/admin/secret", "encoded '.' or '..' segment")]
    [InlineData("/x/%2E%2E/admin", "encoded '.' or '..' segment")]
    [InlineData("/admin%252Fsecret", "encoded '%' (%25)")]
    [InlineData("/admin./secret", "ends with '.' or a space")]
    [InlineData("/admin%20/secret", "ends with '.' or a space")]
    [InlineData("/%C0%AFadmin", "not valid UTF-8")]
    [InlineData("/a%zz", "does not start an escape")]
    [InlineData("/%EF%BD%81dmin/secret", "fold into an ASCII one")]
    [InlineData("/admin%CD%BE/secret", "fold into an ASCII one")]
    public async Task An_ambiguous_path_gets_400_JSON_for_a_non_browser_and_never_reaches_an_upstream(string target, string fragment)
    {
        await using var upstream = new RecordingUpstream();
        await using GatewayHarness harness = await StartOpenAndAdminAsync(upstream);

        RawResponse response = await RawHttps.SendAsync(harness.GatewayUrl, target);
        using JsonDocument json = JsonDocument.Parse(response.Body);

        Assert.Equal(400, response.Status);
        Assert.Equal("request_path_ambiguous", json.RootElement.GetProperty("error").GetString());
        Assert.Contains(fragment, json.RootElement.GetProperty("message").GetString());
        Assert.Empty(upstream.Requests);
    }

    [Fact]
    public async Task Over_HTTP_2_the_path_pseudo_header_gets_the_same_canonical_form()
    {
        await using var upstream = new RecordingUpstream();
        await using GatewayHarness harness = await StartOpenAndAdminAsync(upstream);
        using HttpClient client = harness.CreateClient(version: HttpVersion.Version20);
        // As typed: HttpClient sends the path of a Uri created without canonicalization unchanged.
        Uri Exact(string target) => new($"{harness.GatewayUrl.GetLeftPart(UriPartial.Authority)}{target}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

        using HttpResponseMessage merged = await client.GetAsync(Exact("//reports//q3"));
        using HttpResponseMessage blocked = await client.GetAsync(Exact("//admin/secret"));
        using HttpResponseMessage refused = await client.GetAsync(Exact("/admin%2Fsecret"));

        Assert.Equal((HttpVersion.Version20, HttpStatusCode.OK), (merged.Version, merged.StatusCode));
        Assert.Equal("/reports/q3", Assert.Single(upstream.Requests).Target);
        Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed class LabPkiFixture : IDisposable
{
    public LabPki Pki { get; } = LabPki.Create();

    public void Dispose() => Pki.Dispose();
}
