using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbModule.Tests.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbGateway.Enforcement;
using CasbModule.Tests.Cmdlets;
using CasbModule.Tests.Policies;
using CasbModule.Types;
using CsCheck;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Generated conditional-access and access policies, and generated requests sent to a real gateway from a trusted
/// proxy (the user in the identity header, the client in X-Forwarded-For) with a User-Agent, a Host and a client
/// certificate, each in the spellings a client may use (case, white space, IPv4-mapped and uncompressed IPv6): the
/// gateway decides each exactly as Test-CasbAccess does for the same request typed as its parameters.
/// </summary>
public sealed class GeneratedPolicyAgreementTests : IClassFixture<LabPkiFixture>
{
    private const string Chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0";
    private const string Firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    private const string Outlook = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)";
    private const string Teams = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Teams/1.6.00.4472 Chrome/80.0.3987.165 Electron/8.5.1 Safari/537.36";

    private static readonly string[] Users = ["vendor@contoso.com", "other@contoso.com", "admin@contoso.com", "stranger@fabrikam.com"];
    private static readonly string[] GroupNames = ["Vendors", "Admins"];
    private static readonly string[] Ranges =
        ["10.0.0.0/8", "10.1.0.0/16", "203.0.113.7", "0.0.0.0/0", "2001:db8::/32", "2001:db8:1::/48", "::ffff:198.51.100.0/120", "127.0.0.0/8", "::/0"];
    private static readonly string[] Fragments = ["curl/", "EDG/", "firefox", "Teams", "outlook"];

    // The user as a sign-in proxy might send it, and as an admin might type it: case and white space vary.
    private static readonly string?[] UserSpellings = [null, "vendor@contoso.com", "Vendor@Contoso.COM", " other@contoso.com ", "ADMIN@contoso.com", "stranger@fabrikam.com", "nobody@contoso.com"];

    // Forms Test-CasbAccess -IPAddress and X-Forwarded-For both accept (null: no header, the proxy itself is the client).
    private static readonly string?[] AddressSpellings =
        [null, "10.1.2.3", "::ffff:10.1.2.3", "203.0.113.7", "2001:db8:1::5", "2001:DB8:1:0:0:0:0:5", "198.51.100.4", "::FFFF:198.51.100.4", "192.0.2.1", "2001:db8:2::9"];

    private static readonly string?[] UserAgentSpellings = [null, Chrome, Firefox, Outlook, Teams, "curl/8.5.0", "  " + Chrome, "MOZILLA/5.0 (X11) FIREFOX/133.0"];

    private static readonly string[] HostSpellings = ["localhost", "LOCALHOST", "127.0.0.1", "LocalHost."];

    private readonly LabPki _pki;

    public GeneratedPolicyAgreementTests(LabPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    [Fact]
    public void Generated_policies_and_requests_get_the_same_decision_from_the_gateway_and_Test_CasbAccess()
    {
        X509Certificate2?[] certificates = [null, _pki.Client, _pki.ExpiredClient, _pki.UntrustedClient];
        using var powerShell = new PowerShellHost();
        int blocked = 0, allowed = 0;

        Gen.Select(ConfigurationGen, RequestGen.Array[12, 12]).Sample(sample =>
        {
            (Action<CasbConfiguration> configure, Probe[] probes) = sample;
            GatewayHarness harness = GatewayHarness.StartAsync(c =>
            {
                c.Settings.TrustedProxies.Add("127.0.0.0/8");
                c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Root, TrustedRootKind.Root));
                c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Intermediate, TrustedRootKind.Intermediate));
                configure(c);
            }).GetAwaiter().GetResult();
            try
            {
                var decided = new ConcurrentQueue<AccessDecision>();
                harness.Decider.Decide = (state, request) =>
                {
                    AccessDecision decision = state.Engine.Decide(request);
                    decided.Enqueue(decision);
                    return decision;
                };

                foreach (Probe probe in probes)
                {
                    X509Certificate2? certificate = certificates[probe.Certificate];
                    using HttpClient client = harness.CreateClient(certificate);
                    using var message = new HttpRequestMessage(HttpMethod.Get, "/mail");
                    message.Headers.Host = $"{probe.Host}:{harness.GatewayUrl.Port}";
                    if (probe.User is not null)
                    {
                        message.Headers.TryAddWithoutValidation("X-Casb-User", probe.User);
                    }

                    if (probe.Address is not null)
                    {
                        message.Headers.TryAddWithoutValidation("X-Forwarded-For", probe.Address);
                    }

                    if (probe.UserAgent is not null)
                    {
                        message.Headers.TryAddWithoutValidation("User-Agent", probe.UserAgent);
                    }

                    decided.Clear();
                    using HttpResponseMessage response = client.SendAsync(message).GetAwaiter().GetResult();
                    AccessDecision gateway = Assert.Single(decided);

                    var parameters = new Dictionary<string, object?>
                    {
                        ["store"] = harness.StorePath,
                        ["uri"] = $"https://{probe.Host}:{harness.GatewayUrl.Port}/mail",
                        ["user"] = probe.User,
                        ["agent"] = probe.UserAgent,
                        // The proxy (loopback, trusted) names no client without X-Forwarded-For: an unknown client, as no -IPAddress.
                        ["ip"] = probe.Address,
                        ["certificate"] = certificate,
                    };
                    string script = "Test-CasbAccess -StorePath $store -Uri $uri"
                        + (probe.Address is null ? "" : " -IPAddress $ip")
                        + (probe.User is null ? "" : " -User $user")
                        + (probe.UserAgent is null ? "" : " -UserAgent $agent")
                        + (certificate is null ? "" : " -Certificate $certificate");
                    var (output, errors) = powerShell.Run(script, parameters);
                    Assert.Empty(errors);
                    var whatIf = (CasbAccessDecision)Assert.Single(output).BaseObject;

                    string what = $"{probe} under {harness.Store.Load().AccessPolicies.Count} access policies";
                    Assert.True(whatIf.Action == gateway.Action, $"{what}: what-if {whatIf.Action} ({whatIf.BlockingPolicy}), gateway {gateway.Action} ({gateway.BlockingPolicy})");
                    Assert.Equal((int)(gateway.Action == AccessAction.Block ? 403 : 200), (int)response.StatusCode);
                    Assert.True(whatIf.User == gateway.User, $"{what}: user '{whatIf.User}' vs '{gateway.User}'");
                    Assert.Equal(gateway.Groups, whatIf.Groups);
                    Assert.True(whatIf.ClientAppType == gateway.ClientAppType, $"{what}: client app {whatIf.ClientAppType} vs {gateway.ClientAppType}");
                    Assert.Equal(gateway.DeviceTags, whatIf.DeviceTags);
                    Assert.Equal(gateway.BlockingPolicy, whatIf.BlockingPolicy);
                    Assert.Equal(gateway.BlockMessage, whatIf.BlockMessage);
                    Assert.Equal(gateway.AppControlMode, whatIf.AppControlMode);
                    Assert.True(
                        gateway.MatchedPolicies.Select(p => p.Name).SequenceEqual(whatIf.MatchedPolicies.Select(p => p.Name)),
                        $"{what}: matched [{string.Join(", ", whatIf.MatchedPolicies.Select(p => p.Name))}] vs [{string.Join(", ", gateway.MatchedPolicies.Select(p => p.Name))}]");
                    Assert.Equal(
                        gateway.ConditionalAccess.Select(c => (c.PolicyName, c.Outcome)),
                        whatIf.ConditionalAccess.Select(c => (c.PolicyName, c.Outcome)));
                    if (gateway.Action == AccessAction.Block)
                    {
                        blocked++;
                    }
                    else
                    {
                        allowed++;
                    }
                }
            }
            finally
            {
                harness.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }, iter: 12, threads: 1);

        // Not vacuous: both outcomes were compared (0-10 of the 144 requests blocked before half the configurations put
        // everyone under the access policies, which failed CI once; 10-72 with half, which failed CI once more; 43-81
        // blocked and 63-101 allowed in six runs with three in four).
        Assert.True(blocked > 10 && allowed > 10, $"blocked {blocked}, allowed {allowed}");
    }

    private sealed record Probe(string? User, string? Address, string? UserAgent, string Host, int Certificate);

    private static readonly Gen<Probe> RequestGen =
        from user in Gen.OneOf(UserSpellings)
        from address in Gen.OneOf(AddressSpellings)
        from userAgent in Gen.OneOf(UserAgentSpellings)
        from host in Gen.OneOf(HostSpellings)
        from certificate in Gen.Int[0, 3]
        select new Probe(user, address, userAgent, host, certificate);

    // Included users and groups one time in three, and All two times in three, so that most requests are under App Control.
    private static readonly PolicyPools Pools = new(Users, GroupNames, [], Ranges, Fragments) { IncludeOneIn = 2, AllMostly = true, BlockOneIn = 5 };

    private static readonly Gen<ConditionalAccessPolicyEntry> ConditionalAccessGen = PolicyGenerators.ConditionalAccess(Pools);

    private static readonly Gen<AccessPolicyEntry> AccessPolicyGen = PolicyGenerators.AccessPolicy(Pools).Select(policy =>
    {
        policy.BlockMessage = $"Blocked ({policy.Severity}).";
        return policy;
    });

    private static readonly Gen<Action<CasbConfiguration>> ConfigurationGen =
        from members in PolicyGenerators.Subset(Users, 2).Array[GroupNames.Length]
        from conditionalAccess in ConditionalAccessGen.Array[1, 3]
        from accessPolicies in AccessPolicyGen.Array[1, 10]
        from defaultAction in Gen.Enum<DefaultAction>()
        from customForAll in Gen.Int[0, 3].Select(i => i > 0)
        select (Action<CasbConfiguration>)(c =>
        {
            c.Settings.DefaultAction = defaultAction;
            c.Groups = GroupNames.Select((g, i) => new GroupEntry { Name = g, Members = members[i] }).ToList();
            c.ConditionalAccessPolicies = conditionalAccess.Select((p, i) => { p.Name = $"CA {i}"; return p; }).ToList();
            if (customForAll)
            {
                // Three configurations in four put everyone under the access policies, so that twelve of them block
                // often enough for the count below (with one in two, a run blocked only 10 of 144 once); the generated
                // conditional-access policies still vary around it.
                c.ConditionalAccessPolicies.Insert(0, new ConditionalAccessPolicyEntry
                {
                    Name = "Custom policy for everyone", IncludeUsers = ["All"], SessionControl = SessionControlKind.AppControl,
                    AppControlMode = AppControlMode.UseCustomPolicy,
                });
            }

            c.AccessPolicies = accessPolicies.Select((p, i) => { p.Name = $"Access {i}"; return p; }).ToList();
        });
}
