using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Certificates;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

/// <summary>The seed's scenario through <see cref="CasbEngine.Decide(AccessRequest)"/> with real lab certificates.</summary>
public sealed class EngineEndToEndTests(LabPkiFixture fixture) : IClassFixture<LabPkiFixture>
{
    private const string Outlook = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)";

    public static TheoryData<string, string, AccessAction, string?> Cases => new()
    {
        // which certificate, user agent, expected action, expected user
        { "client", Edge, AccessAction.Allow, "vendor@contoso.com" },
        { "none", Edge, AccessAction.Block, null },
        { "expired", Edge, AccessAction.Block, null },
        { "revoked", Edge, AccessAction.Block, null },
        { "untrusted", Edge, AccessAction.Block, null },
        { "server-auth-only", Edge, AccessAction.Block, null },
        { "none", Outlook, AccessAction.Allow, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_vendor_with_a_valid_certificate_is_allowed_and_everyone_else_in_a_browser_is_blocked(
        string certificate, string userAgent, AccessAction expected, string? user)
    {
        LabPki lab = fixture.Lab;
        CasbConfiguration configuration = TestConfigurations.Trusting(lab).WithCrls(lab.IntermediateCrl);
        CasbConfiguration seed = Seed();
        configuration.Apps = seed.Apps;
        configuration.Groups = seed.Groups;
        configuration.ConditionalAccessPolicies = seed.ConditionalAccessPolicies;
        configuration.AccessPolicies = seed.AccessPolicies;
        X509Certificate2? clientCertificate = certificate switch
        {
            "client" => lab.Client,
            "expired" => lab.ExpiredClient,
            "revoked" => lab.RevokedClient,
            "untrusted" => lab.UntrustedClient,
            "server-auth-only" => lab.ServerAuthOnlyClient,
            _ => null,
        };
        var engine = new CasbEngine(configuration);

        AccessDecision decision = engine.Decide(new AccessRequest
        {
            Host = "mos.contoso.local:8443",
            Path = "/",
            UserAgent = userAgent,
            ClientCertificate = clientCertificate,
            At = DateTimeOffset.UtcNow,
        });

        Assert.Equal(expected, decision.Action);
        Assert.Equal(user, decision.User);
        Assert.Equal(certificate == "client", decision.DeviceTags.Contains(DeviceTags.ValidClientCertificate));
        Assert.Equal(expected == AccessAction.Block ? "Use a company device." : null, decision.BlockMessage);
        Assert.Equal(clientCertificate?.Thumbprint, decision.Certificate?.Thumbprint);
    }
}
