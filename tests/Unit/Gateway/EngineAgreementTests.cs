using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Activity;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;

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
            c.TrustedRoots.Add(Trusted(_pki.Root, TrustedRootKind.Root));
            c.TrustedRoots.Add(Trusted(_pki.Intermediate, TrustedRootKind.Intermediate));
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
        var engine = new CasbEngine(harness.Store.Load());
        foreach (ActivityRecord logged in records)
        {
            AccessRequest request = harness.Decider.Requests.Single(r => r.CorrelationId == logged.CorrelationId);
            ActivityRecord expected = ActivityRecord.FromDecision(engine.Decide(request), request);

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

    private static TrustedRootEntry Trusted(X509Certificate2 certificate, TrustedRootKind kind) => new()
    {
        Thumbprint = certificate.Thumbprint,
        Subject = certificate.Subject,
        Issuer = certificate.Issuer,
        Kind = kind,
        NotBefore = certificate.NotBefore,
        NotAfter = certificate.NotAfter,
        AddedAt = DateTimeOffset.UtcNow,
        RawData = Convert.ToBase64String(certificate.RawData),
    };
}
