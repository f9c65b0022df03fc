using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Activity;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Certificates;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// One kept-alive connection (HTTP/1.1 and HTTP/2) whose next request comes after the world changed: a CRL that revokes
/// its certificate, its intermediate removed, a policy turned on, report-only or off, the app's upstream changed or the
/// app removed, its certificate expired. Each next request is decided on the new state, its record names the revision
/// it was decided on, and Test-CasbAccess's engine agrees.
/// </summary>
public sealed class ConnectionLifetimeTests : IClassFixture<LabPkiFixture>
{
    private const string Browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
    private const string CaPolicy = "Vendors via App Control";
    private readonly LabPki _pki;

    public ConnectionLifetimeTests(LabPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Every_request_on_a_kept_alive_connection_is_decided_on_the_state_it_arrives_in(string version)
    {
        using X509Certificate2 certificate = _pki.IssueClient(
            "CN=Kept Alive Device, O=Fabrikam", "keptalive@contoso.com", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.Settings.RevocationMode = RevocationCheckMode.Optional;
            c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Root, TrustedRootKind.Root));
            c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Intermediate, TrustedRootKind.Intermediate));
            SeedPolicies.AddRequireCertificate(c);
            c.ConditionalAccessPolicies[0].Name = CaPolicy;
        });
        await using var second = new RecordingUpstream();
        int connections = 0;
        using HttpClient client = Client(harness, certificate, Version.Parse(version), () => Interlocked.Increment(ref connections));

        var expected = new List<(string Step, int Status, string Action, string CertificateStatus, long Revision)>();

        async Task Step(string step, Action<CasbConfiguration>? change, int status, string action, string certificateStatus)
        {
            if (change is not null)
            {
                harness.Store.Update(change);
            }

            long revision = harness.Store.Load().Revision;
            await harness.WaitForReadyzAsync($"revision {revision} ");
            using var request = new HttpRequestMessage(HttpMethod.Get, "/mail");
            request.Headers.TryAddWithoutValidation("User-Agent", Browser);
            using HttpResponseMessage response = await client.SendAsync(request);
            Assert.True(status == (int)response.StatusCode, $"{step}: {(int)response.StatusCode}, expected {status}");

            // Test-CasbAccess's engine on the store as it is now, for the same request.
            CasbEngine engine = CasbEngineCache.Shared.GetEngine(harness.Store, out _);
            AccessDecision whatIf = engine.Decide(new AccessRequest
            {
                Host = "127.0.0.1", Path = "/mail", UserAgent = Browser, ClientCertificate = certificate, At = DateTimeOffset.UtcNow,
            });
            Assert.True(action == whatIf.Action.ToString(), $"{step}: Test-CasbAccess says {whatIf.Action}, expected {action}");
            expected.Add((step, status, action, certificateStatus, revision));
        }

        await Step("start", null, 200, "Allow", "Valid");
        await Step("CRL revokes the certificate", c => c.WithCrls(TestConfigurations.IntermediateCrl(_pki, 50, DateTimeOffset.UtcNow.AddDays(7), null, certificate)), 403, "Block", "Revoked");
        await Step("CRL removed", c => c.RevocationLists.Clear(), 200, "Allow", "Valid");
        await Step("intermediate removed", c => c.TrustedRoots.RemoveAll(r => r.Kind == TrustedRootKind.Intermediate), 403, "Block", "UntrustedRoot");
        await Step("intermediate back", c => c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Intermediate, TrustedRootKind.Intermediate)), 200, "Allow", "Valid");
        await Step("root removed", c => c.TrustedRoots.RemoveAll(r => r.Kind == TrustedRootKind.Root), 403, "Block", "UntrustedRoot");
        await Step("root back", c => c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Root, TrustedRootKind.Root)), 200, "Allow", "Valid");
        await Step("policy blocks the user", c => c.AccessPolicies.Add(new AccessPolicyEntry
        {
            Name = "No kept-alive user", Action = AccessPolicyAction.Block, Users = { "keptalive@contoso.com" },
        }), 403, "Block", "Valid");
        await Step("conditional access report-only", c => c.ConditionalAccessPolicies[0].State = ConditionalAccessState.ReportOnly, 200, "Monitor", "Valid");
        await Step("conditional access off", c => c.ConditionalAccessPolicies[0].State = ConditionalAccessState.Off, 200, "Allow", "Valid");
        await Step("conditional access on", c => c.ConditionalAccessPolicies[0].State = ConditionalAccessState.On, 403, "Block", "Valid");
        await Step("policy disabled", c => c.AccessPolicies.RemoveAll(p => p.Name == "No kept-alive user"), 200, "Allow", "Valid");

        int before = harness.UpstreamRequests;
        await Step("upstream changed", c => c.Apps[0].Upstream = second.Url.ToString().TrimEnd('/'), 200, "Allow", "Valid");
        Assert.Equal(before, harness.UpstreamRequests);
        Assert.Single(second.Requests);

        // Reading the records lets the earlier requests' records reach the log before the app is gone.
        Assert.Equal(1, connections);
        IReadOnlyList<ActivityRecord> records = (await harness.WaitForActivityAsync(expected.Count)).Reverse().ToList();
        Assert.Equal(expected.Count, records.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var (step, status, action, certificateStatus, revision) = expected[i];
            Assert.True(
                (status, action, certificateStatus, revision) == (records[i].HttpStatus, records[i].Action, records[i].CertificateStatus, records[i].Revision),
                $"{step}: recorded {records[i].HttpStatus} {records[i].Action} {records[i].CertificateStatus} revision {records[i].Revision}, expected {status} {action} {certificateStatus} revision {revision}");
        }

        harness.Store.Update(c => c.Apps.Clear());
        await harness.WaitForReadyzAsync($"revision {harness.Store.Load().Revision} ");
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/mail"))
        {
            using HttpResponseMessage response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        Assert.Equal(1, connections);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task A_certificate_that_expires_while_its_connection_is_open_is_refused_on_the_next_request(string version)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Root, TrustedRootKind.Root));
            c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Intermediate, TrustedRootKind.Intermediate));
            SeedPolicies.AddRequireCertificate(c);
        });
        // Issued once the gateway is up (its start can take seconds on a busy machine).
        // Long enough for the first request on a loaded machine (CI), short enough to wait out.
        DateTimeOffset notAfter = DateTimeOffset.UtcNow.AddSeconds(12);
        using X509Certificate2 certificate = _pki.IssueClient(
            "CN=Short Lived Device, O=Fabrikam", "shortlived@contoso.com", DateTimeOffset.UtcNow.AddDays(-1), notAfter);
        int connections = 0;
        using HttpClient client = Client(harness, certificate, Version.Parse(version), () => Interlocked.Increment(ref connections));

        async Task<HttpStatusCode> GetAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/mail");
            request.Headers.TryAddWithoutValidation("User-Agent", Browser);
            using HttpResponseMessage response = await client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await GetAsync());
        TimeSpan untilExpired = notAfter - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.5);
        await Task.Delay(untilExpired > TimeSpan.Zero ? untilExpired : TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync());
        Assert.Equal(1, connections);
        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(2);
        Assert.Equal(new[] { "Valid", "Expired" }, records.Reverse().Select(r => r.CertificateStatus));
    }

    private static HttpClient Client(GatewayHarness harness, X509Certificate2 certificate, Version version, Action connected)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, token) =>
            {
                connected();
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        handler.SslOptions.ClientCertificates = new X509CertificateCollection { certificate };
        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        return new HttpClient(handler)
        {
            BaseAddress = harness.GatewayUrl,
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }
}
