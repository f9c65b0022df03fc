using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CasbCore;
using CasbCore.Activity;
using CasbCore.Certificates;
using CasbModule.Tests.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Cmdlets;
using CasbModule.Tests.Policies;
using CsCheck;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// What the gateway logs for a request is exactly what the engine (the one Test-CasbAccess calls) decides for the
/// same inputs: the gateway has no decision logic of its own.
/// </summary>
public sealed class EngineAgreementTests : IClassFixture<LabPkiFixture>
{
    private const string Browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
    private const string Desktop = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)";
    private readonly LabPki _pki;

    public EngineAgreementTests(LabPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    [Fact]
    public async Task The_gateway_records_the_engine_decision_for_the_same_request()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Root, TrustedRootKind.Root));
            c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Intermediate, TrustedRootKind.Intermediate));
            c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
            {
                Name = "Vendors via App Control",
                IncludeUsers = { "All" },
                Apps = { GatewayHarness.AppName },
                SessionControl = SessionControlKind.AppControl,
            });
            c.AccessPolicies.Add(new AccessPolicyEntry
            {
                Name = "Require certificate",
                Action = AccessPolicyAction.Block,
                BlockMessage = "Use a company device.",
                Apps = { GatewayHarness.AppName },
                DeviceTags = { DeviceTags.ValidClientCertificate },
                DeviceTagOperator = FilterOperator.DoesNotEqual,
            });
        });

        var cases = new (X509Certificate2? Certificate, string UserAgent, int Status)[]
        {
            (_pki.Client, Browser, 200),
            (null, Browser, 403),
            (_pki.ExpiredClient, Browser, 403),
            (_pki.UntrustedClient, Browser, 403),
            (null, Desktop, 200),
        };
        // Test-CasbAccess's engine asked about the very request the gateway decides, while it is being decided: the
        // gateway disposes a connection's client certificate when the connection closes (GatewayApp), so the request
        // cannot be replayed afterwards.
        var engine = new CasbEngine(harness.Store.Load());
        var expectedByCorrelation = new System.Collections.Concurrent.ConcurrentDictionary<string, ActivityRecord>();
        harness.Decider.Decide = (state, request) =>
        {
            expectedByCorrelation[request.CorrelationId!] = ActivityRecord.FromDecision(engine.Decide(request), request);
            return state.Engine.Decide(request);
        };

        foreach (var (certificate, userAgent, status) in cases)
        {
            using HttpClient client = harness.CreateClient(certificate);
            using var message = new HttpRequestMessage(HttpMethod.Get, "/mail");
            message.Headers.TryAddWithoutValidation("User-Agent", userAgent);
            using HttpResponseMessage response = await client.SendAsync(message);
            Assert.Equal(status, (int)response.StatusCode);
        }

        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(cases.Length);
        Assert.Equal(cases.Length, records.Count);
        foreach (ActivityRecord logged in records)
        {
            ActivityRecord expected = expectedByCorrelation[logged.CorrelationId!];

            Assert.Equal(expected.Action, logged.Action);
            Assert.Equal(expected.App, logged.App);
            Assert.Equal(expected.User, logged.User);
            Assert.Equal(expected.UserSource, logged.UserSource);
            Assert.Equal(expected.ClientAppType, logged.ClientAppType);
            Assert.Equal(expected.DeviceTags, logged.DeviceTags);
            Assert.Equal(expected.CertificateStatus, logged.CertificateStatus);
            Assert.Equal(expected.CertificateThumbprint, logged.CertificateThumbprint);
            Assert.Equal(expected.MatchedPolicies, logged.MatchedPolicies);
            Assert.Equal(expected.BlockingPolicy, logged.BlockingPolicy);
            Assert.Equal(expected.BlockMessage, logged.BlockMessage);
            Assert.Equal(expected.ConditionalAccess.Select(c => (c.Policy, c.Outcome)), logged.ConditionalAccess.Select(c => (c.Policy, c.Outcome)));
            Assert.Equal(expected.Revision, logged.Revision);
        }

        Assert.Equal(new[] { "Allow", "Block", "Block", "Block", "Allow" }, records.Reverse().Select(r => r.Action));
        Assert.Equal(new[] { "Valid", "NoCertificate", "Expired", "UntrustedRoot", "NoCertificate" }, records.Reverse().Select(r => r.CertificateStatus));
    }

    /// <summary>
    /// Generated request targets (repeated slashes, dot segments, case changes, escapes, ';params', '\\', control and
    /// fullwidth characters) sent byte for byte to the real gateway, in front of an upstream that records the request
    /// line it receives, and asked of Test-CasbAccess -Uri in PowerShell: both refuse, or both decide the same app,
    /// action and policy, and the upstream receives exactly the canonical path the decision was made on.
    /// </summary>
    [Fact]
    public async Task Generated_paths_get_the_same_answer_from_the_gateway_and_Test_CasbAccess_and_go_upstream_as_decided()
    {
        await using var upstream = new RecordingUpstream();
        await using GatewayHarness harness = await GatewayHarness.StartAsync(
            c =>
            {
                c.Apps[0].Name = RequestPathPropertyTests.Apps[0].Name;
                foreach ((string name, string prefix) in RequestPathPropertyTests.Apps.Skip(1))
                {
                    c.Apps.Add(new AppEntry { Name = name, Upstream = upstream.Url.ToString(), Hostnames = { "localhost", "127.0.0.1" }, PathPrefix = prefix });
                }

                RequestPathPropertyTests.Protect(c);
            },
            upstreamOverride: upstream.Url.ToString().TrimEnd('/'));
        using var powerShell = new PowerShellHost();
        var expectations = new List<(string CorrelationId, string Target, string? App, string Action, int Status, string Path)>();
        int refused = 0, decided = 0, refusedByKestrel = 0;

        RequestTargets.Any.Sample(target =>
        {
            string probe = Guid.NewGuid().ToString("N");
            RawResponse response = RawHttps.SendAsync(harness.GatewayUrl, target, [new(RecordingUpstream.ProbeHeader, probe)]).GetAwaiter().GetResult();
            UpstreamRequest? received = upstream.ByProbe(probe);
            var (output, errors) = powerShell.Run(
                "Test-CasbAccess -StorePath $store -Uri $uri -UserAgent $agent",
                new Dictionary<string, object?> { ["store"] = harness.StorePath, ["uri"] = "https://localhost" + target, ["agent"] = Browser });

            if (errors.Count > 0)
            {
                // What-if refuses: so does the gateway (its 400 page, or Kestrel's own 400 for what it cannot parse), and nothing goes upstream.
                Assert.Equal("RequestPathAmbiguous,CasbModule.Cmdlets.TestCasbAccessCommand", errors[0].FullyQualifiedErrorId);
                Assert.True(400 == response.Status, $"{target}: what-if refused, the gateway answered {response.Status} {response.Body}");
                Assert.Null(received);
                if (response.CorrelationId is { } refusedId)
                {
                    Assert.Equal("request_path_ambiguous", JsonDocument.Parse(response.Body).RootElement.GetProperty("error").GetString());
                    lock (expectations)
                    {
                        expectations.Add((refusedId, target, null, "Block", 400, NormalizingUpstreams.PathOf(target)));
                    }
                }
                else
                {
                    // Kestrel's own 400 (no correlation id): recorded too, by BadRequestRecorder.
                    Interlocked.Increment(ref refusedByKestrel);
                }

                Interlocked.Increment(ref refused);
                return;
            }

            var decision = (CasbModule.Types.CasbAccessDecision)Assert.Single(output).BaseObject;
            RequestPath path = RequestPath.Parse(target);
            if (decision.Action == AccessAction.Block)
            {
                Assert.True(403 == response.Status, $"{target}: what-if blocked ({decision.App}), the gateway answered {response.Status} {response.Body}");
                using JsonDocument page = JsonDocument.Parse(response.Body);
                Assert.Equal(decision.App, page.RootElement.GetProperty("app").GetString());
                Assert.Equal(decision.BlockMessage, page.RootElement.GetProperty("message").GetString());
                Assert.Null(received);
            }
            else
            {
                Assert.True(200 == response.Status, $"{target}: what-if allowed ({decision.App}), the gateway answered {response.Status} {response.Body}");
                Assert.NotNull(received);

                // Exactly the canonical path and the query as sent, and that path is one every normalizing upstream serves under the decided app.
                Assert.Equal(path.Escaped + path.Query, received.Target);
                foreach (NormalizingUpstream normalizing in NormalizingUpstreams.All)
                {
                    Assert.Equal(decision.App, RequestPathPropertyTests.AppServing(normalizing.Normalize(NormalizingUpstreams.PathOf(received.Target))));
                }
            }

            Assert.Equal(decision.Action == AccessAction.Block ? RequestPathPropertyTests.PolicyOf(decision.App!) : null, decision.BlockingPolicy);
            lock (expectations)
            {
                expectations.Add((response.CorrelationId!, target, decision.App, decision.Action.ToString(), response.Status, path.Escaped));
            }

            Interlocked.Increment(ref decided);
        }, iter: 150, threads: 1);

        Assert.True(refused > 20 && decided > 20, $"refused {refused}, decided {decided}");

        // The activity log says the same as the answers: app, action, status and the path decided on (or, refused, as sent).
        // Every request has its record, Kestrel's refusals too: wait for all of them, not only those with an expectation.
        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(refused + decided);
        Assert.Equal(refused + decided, records.Count);
        Assert.Equal(refusedByKestrel, records.Count(r => r.Error?.StartsWith("BadRequest: ", StringComparison.Ordinal) == true));
        foreach (var expected in expectations)
        {
            ActivityRecord logged = Assert.Single(records, r => r.CorrelationId == expected.CorrelationId);
            Assert.True(
                (expected.App, expected.Action, expected.Status, expected.Path) == (logged.App, logged.Action, logged.HttpStatus, logged.Path),
                $"{expected.Target}: expected {expected}, logged {logged.App} {logged.Action} {logged.HttpStatus} {logged.Path}");
        }
    }
}
