using System.Net;
using System.Text.Json;
using CasbCore.Activity;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CsCheck;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

/// <summary>
/// The access-policy index: a request evaluates only the policies of its app that name its user, its groups, its
/// User-Agent, its address range or its device tags (or name none of these), and the index never changes a decision.
/// What was evaluated is read from the explanation, which runs the very stages that decide, with a trace.
/// </summary>
public sealed class AccessPolicyIndexTests
{
    private const string Firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

    [Fact]
    public void A_request_for_one_app_evaluates_none_of_another_apps_policies()
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies.Clear();
        for (int i = 0; i < 50; i++)
        {
            configuration.AccessPolicies.Add(new AccessPolicyEntry { Name = $"Portal {i}", Apps = ["Azure Portal"], Action = AccessPolicyAction.Test });
        }

        configuration.AccessPolicies.Add(new AccessPolicyEntry { Name = "MOS only", Apps = ["Microsoft Online Services"], Action = AccessPolicyAction.Test });
        configuration.AccessPolicies.Add(new AccessPolicyEntry { Name = "Every app", Action = AccessPolicyAction.Test });
        CompiledPolicySet policies = CompiledPolicySet.Compile(configuration);

        DecisionExplanation mos = Explain(policies, Request(app: "Microsoft Online Services"));
        DecisionExplanation portal = Explain(policies, Request(app: "Azure Portal"));

        Assert.Equal(["MOS only", "Every app"], mos.EvaluatedAccessPolicies);
        Assert.Equal(["MOS only", "Every app"], mos.MatchedPolicies.Select(p => p.Name));
        Assert.Equal(51, portal.EvaluatedAccessPolicies.Count);
        Assert.DoesNotContain("MOS only", portal.EvaluatedAccessPolicies);
    }

    [Fact]
    public void A_user_evaluates_the_policies_that_name_them_or_their_groups_and_not_those_of_others()
    {
        CasbConfiguration configuration = Seed();
        configuration.Groups.Add(new GroupEntry { Name = "Admins", Members = ["admin@contoso.com"] });
        configuration.AccessPolicies =
        [
            new AccessPolicyEntry { Name = "Vendor by name", Users = ["VENDOR@contoso.com"], Action = AccessPolicyAction.Test },
            new AccessPolicyEntry { Name = "Vendors group", Groups = ["Vendors"], Action = AccessPolicyAction.Test },
            new AccessPolicyEntry { Name = "Both", Users = ["vendor@contoso.com"], Groups = ["Vendors"], Action = AccessPolicyAction.Test },
            new AccessPolicyEntry { Name = "Admins group", Groups = ["Admins"], Action = AccessPolicyAction.Block },
            new AccessPolicyEntry { Name = "Admin by name", Users = ["admin@contoso.com"], Action = AccessPolicyAction.Block },
        ];
        CompiledPolicySet policies = CompiledPolicySet.Compile(configuration);

        DecisionExplanation vendor = Explain(policies, Request(user: "vendor@contoso.com"));
        DecisionExplanation admin = Explain(policies, Request(user: "admin@contoso.com"));
        DecisionExplanation anonymous = Explain(policies, Request());

        Assert.Equal(["Both", "Vendor by name", "Vendors group"], vendor.EvaluatedAccessPolicies.Order(StringComparer.Ordinal));
        // Reached twice (by the user and by the group), listed once, in configuration order.
        Assert.Equal(["Vendor by name", "Vendors group", "Both"], vendor.MatchedPolicies.Select(p => p.Name));
        Assert.Equal(["Admin by name", "Admins group"], admin.EvaluatedAccessPolicies.Order(StringComparer.Ordinal));
        Assert.Empty(anonymous.EvaluatedAccessPolicies);
    }

    [Fact]
    public void User_agent_address_and_device_tag_filters_route_a_request_past_policies_it_cannot_match()
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies =
        [
            new AccessPolicyEntry { Name = "curl", UserAgentContains = ["CURL/"], ClientApp = AccessPolicyClientApp.Any },
            new AccessPolicyEntry { Name = "Firefox", UserAgentContains = ["firefox"], ClientApp = AccessPolicyClientApp.Any },
            new AccessPolicyEntry { Name = "Office network", IPRanges = ["10.0.0.0/8", "2001:db8:1::/48"], ClientApp = AccessPolicyClientApp.Any },
            new AccessPolicyEntry { Name = "Outside the office", IPRanges = ["10.0.0.0/8"], IPRangeOperator = IPRangeOperator.NotIn, ClientApp = AccessPolicyClientApp.Any },
            new AccessPolicyEntry { Name = "Managed device", DeviceTags = [DeviceTags.ValidClientCertificate], ClientApp = AccessPolicyClientApp.Any },
            new AccessPolicyEntry { Name = "Unmanaged device", DeviceTags = [DeviceTags.ValidClientCertificate], DeviceTagOperator = FilterOperator.DoesNotEqual, ClientApp = AccessPolicyClientApp.Any },
        ];
        CompiledPolicySet policies = CompiledPolicySet.Compile(configuration);

        DecisionExplanation edge = Explain(policies, Request(clientAddress: "192.0.2.10"));
        DecisionExplanation firefoxInOffice = Explain(policies, Request(userAgent: Firefox, clientAddress: "::ffff:10.1.2.3"), ValidCertificate());
        DecisionExplanation curlFromIPv6Office = Explain(policies, Request(userAgent: Curl, clientAddress: "2001:db8:1::7"));

        Assert.Equal(["Outside the office", "Unmanaged device"], edge.EvaluatedAccessPolicies.Order(StringComparer.Ordinal));
        // A device with a valid certificate passes "Unmanaged device" (tag DoesNotEqual) by; one without evaluates it.
        Assert.Equal(["Firefox", "Managed device", "Office network", "Outside the office"], firefoxInOffice.EvaluatedAccessPolicies.Order(StringComparer.Ordinal));
        Assert.Equal(["Firefox", "Office network", "Managed device"], firefoxInOffice.MatchedPolicies.Select(p => p.Name));
        Assert.Equal(["Office network", "Outside the office", "Unmanaged device", "curl"], curlFromIPv6Office.EvaluatedAccessPolicies.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// "Require certificate" policies (device tag DoesNotEqual the valid certificate's) are the common block: a device
    /// that presents a valid certificate passes all of them by, one that does not evaluates every one and is blocked.
    /// </summary>
    [Fact]
    public void Require_certificate_policies_are_skipped_for_a_valid_certificate_and_all_evaluated_without_one()
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies.Clear();
        for (int i = 0; i < 200; i++)
        {
            configuration.AccessPolicies.Add(new AccessPolicyEntry
            {
                Name = $"Require certificate {i:D3}",
                DeviceTags = i % 2 == 0 ? [DeviceTags.ValidClientCertificate] : ["ValidClientCertificate", DeviceTags.ValidClientCertificate],
                DeviceTagOperator = FilterOperator.DoesNotEqual,
                Action = AccessPolicyAction.Block,
                ClientApp = AccessPolicyClientApp.Any,
            });
        }

        CompiledPolicySet policies = CompiledPolicySet.Compile(configuration);

        AccessDecision valid = policies.Decide(Request(), ValidCertificate());
        AccessDecision none = policies.Decide(Request(), NoCertificate);
        AccessDecision expired = policies.Decide(Request(), ExpiredCertificate());

        Assert.Equal(AccessAction.Allow, valid.Action);
        Assert.Empty(valid.Explain(recordEvaluated: true).EvaluatedAccessPolicies);
        foreach (AccessDecision blocked in new[] { none, expired })
        {
            Assert.Equal(AccessAction.Block, blocked.Action);
            Assert.Equal("Require certificate 000", blocked.BlockingPolicy);
            Assert.Equal(200, blocked.Explain(recordEvaluated: true).EvaluatedAccessPolicies.Count);
        }
    }

    [Fact]
    public void At_a_thousand_policies_the_allowed_request_evaluates_only_the_few_that_could_match_it()
    {
        CompiledPolicySet thousand = CompiledPolicySet.Compile(ScaleConfiguration.Create(1000));
        CompiledPolicySet linear = CompiledPolicySet.Compile(ScaleConfiguration.Create(1000), indexAccessPolicies: false);

        DecisionExplanation indexed = thousand.Decide(ScaleConfiguration.AllowedRequest, ScaleConfiguration.ValidCertificate).Explain(recordEvaluated: true);
        DecisionExplanation all = linear.Decide(ScaleConfiguration.AllowedRequest, ScaleConfiguration.ValidCertificate).Explain(recordEvaluated: true);

        // App 3, browser: the 400 enabled all-app policies (odd p, not p = 9 mod 10; no app-scoped one names App 3).
        // user17 is in groups 0-2, and of those only Group 1 is named by an all-app policy (p = 1 mod 60: 17 of
        // them, each excluding user17); no fragment, range or tag route fits the request, and none is unscoped.
        Assert.Equal(AccessAction.Allow, thousand.Decide(ScaleConfiguration.AllowedRequest, ScaleConfiguration.ValidCertificate).Action);
        Assert.Equal(400, all.EvaluatedAccessPolicies.Count);
        Assert.Equal(17, indexed.EvaluatedAccessPolicies.Count);
        Assert.All(indexed.EvaluatedAccessPolicies, name => Assert.Equal(1, int.Parse(name["Policy ".Length..]) % 60));
        Assert.Equal(all.Reasons, indexed.Reasons);
    }

    /// <summary>
    /// Random configurations and requests: the indexed set decides and explains exactly as the same set evaluating
    /// every policy of the app in order, and evaluates no policy the linear one does not.
    /// </summary>
    [Fact]
    public void The_index_never_changes_a_decision_or_its_reasons()
    {
        Gen.Select(ConfigurationGen, RequestGen.Array[1, 8]).Sample(sample =>
        {
            (CasbConfiguration configuration, (AccessRequest Request, CertificateValidationResult Certificate)[] requests) = sample;
            CompiledPolicySet indexed = CompiledPolicySet.Compile(configuration);
            CompiledPolicySet linear = CompiledPolicySet.Compile(configuration, indexAccessPolicies: false);
            foreach ((AccessRequest request, CertificateValidationResult certificate) in requests)
            {
                AccessDecision expected = linear.Decide(request, certificate);
                AccessDecision actual = indexed.Decide(request, certificate);
                DecisionExplanation expectedWhy = expected.Explain(recordEvaluated: true);
                DecisionExplanation actualWhy = actual.Explain(recordEvaluated: true);

                Assert.Equal(expected.Action, actual.Action);
                Assert.Equal(expected.App, actual.App);
                Assert.Equal(expected.BlockingPolicy, actual.BlockingPolicy);
                Assert.Equal(expected.BlockMessage, actual.BlockMessage);
                Assert.Equal(expected.AppControlMode, actual.AppControlMode);
                Assert.Equal(expected.Groups, actual.Groups);
                Assert.Equal(expectedWhy.MatchedPolicies, actualWhy.MatchedPolicies);
                Assert.Equal(expectedWhy.ConditionalAccess, actualWhy.ConditionalAccess);
                Assert.Equal(expectedWhy.Reasons, actualWhy.Reasons);
                Assert.Empty(actualWhy.EvaluatedAccessPolicies.Except(expectedWhy.EvaluatedAccessPolicies));
            }
        }, iter: 400);
    }

    /// <summary>
    /// The activity record's explanation (no reason lines, none of them formatted) logs exactly the conditional-access
    /// results, with their reasons, and the matched policies of the full explanation, for random configurations and requests.
    /// </summary>
    [Fact]
    public void The_records_explanation_has_every_result_and_match_of_the_full_one()
    {
        Gen.Select(ConfigurationGen, RequestGen.Array[1, 8]).Sample(sample =>
        {
            (CasbConfiguration configuration, (AccessRequest Request, CertificateValidationResult Certificate)[] requests) = sample;
            CompiledPolicySet policies = CompiledPolicySet.Compile(configuration);
            foreach ((AccessRequest request, CertificateValidationResult certificate) in requests)
            {
                AccessDecision decision = policies.Decide(request, certificate);
                DecisionExplanation full = decision.Explain();
                DecisionExplanation forRecord = decision.ExplainForRecord();

                Assert.Equal(full.ConditionalAccess, forRecord.ConditionalAccess);
                Assert.Equal(full.MatchedPolicies, forRecord.MatchedPolicies);
                Assert.NotEmpty(full.Reasons);
                Assert.Empty(forRecord.Reasons);
            }
        }, iter: 400);
    }

    /// <summary>
    /// The record's explanation read from the notes the decision took (no stages run again) is the one the stages give
    /// again with a trace, and so is the one from the conditional-access stage run alone again on the decision's facts
    /// (a policy out of scope): the same results with their reasons, in order, and the same matched policies, for random
    /// configurations and requests; and both ways are taken often enough for this to say something.
    /// </summary>
    [Fact]
    public void The_records_explanation_read_from_the_decisions_notes_is_the_one_the_stages_give_again()
    {
        var ways = new Dictionary<string, int>();
        Gen.Select(ConfigurationGen, RequestGen.Array[1, 8]).Sample(sample =>
        {
            (CasbConfiguration configuration, (AccessRequest Request, CertificateValidationResult Certificate)[] requests) = sample;
            CompiledPolicySet policies = CompiledPolicySet.Compile(configuration);
            foreach ((AccessRequest request, CertificateValidationResult certificate) in requests)
            {
                AccessDecision decision = policies.Decide(request, certificate);
                DecisionExplanation expected = decision.ExplainForRecordWithTrace();
                DecisionExplanation actual = decision.ExplainForRecord();
                lock (ways)
                {
                    // CsCheck samples on several threads at once: an unlocked Dictionary loses counts or breaks.
                    ways[decision.RecordExplainedBy] = ways.GetValueOrDefault(decision.RecordExplainedBy) + 1;
                }

                Assert.Equal(expected.ConditionalAccess, actual.ConditionalAccess);
                Assert.Equal(expected.MatchedPolicies, actual.MatchedPolicies);
                Assert.Empty(actual.Reasons);
                // The line written to the activity log, byte for byte.
                Assert.Equal(
                    JsonSerializer.Serialize(ActivityRecord.FromDecision(decision, expected, request, "GET", 200), ActivityJsonContext.Default.ActivityRecord),
                    JsonSerializer.Serialize(ActivityRecord.FromDecision(decision, request, "GET", 200), ActivityJsonContext.Default.ActivityRecord));
            }
        }, iter: 400);

        // The two ways that skip stages must both be taken often (about 1,000 and 700 of 1,800 requests); the trace way is
        // the reference itself.
        string counts = string.Join(", ", ways.Select(w => $"{w.Key} {w.Value}"));
        Assert.True(ways.GetValueOrDefault("notes") > 200 && ways.GetValueOrDefault("conditional access") > 200, counts);
    }

    /// <summary>
    /// The notes hold 32 conditional-access results: with 32 policies the record's explanation is read from them, with
    /// 33 the conditional-access stage runs again; both list every policy's result in order.
    /// </summary>
    [Theory]
    [InlineData(32, "notes")]
    [InlineData(33, "conditional access")]
    public void A_record_explains_from_the_notes_up_to_32_conditional_access_policies_and_with_that_stage_again_beyond(int count, string way)
    {
        CasbConfiguration configuration = Seed();
        configuration.ConditionalAccessPolicies = Enumerable.Range(0, count).Select(i => new ConditionalAccessPolicyEntry
        {
            Name = $"CA {i}",
            State = (i % 3) switch { 0 => ConditionalAccessState.On, 1 => ConditionalAccessState.Off, _ => ConditionalAccessState.ReportOnly },
            IncludeUsers = ["All"],
            SessionControl = SessionControlKind.AppControl,
        }).ToList();
        configuration.AccessPolicies.Clear();
        CompiledPolicySet policies = CompiledPolicySet.Compile(configuration);

        AccessDecision decision = policies.Decide(Request(), NoCertificate);
        DecisionExplanation explanation = decision.ExplainForRecord();

        Assert.Equal(way, decision.RecordExplainedBy);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"CA {i}"), explanation.ConditionalAccess.Select(r => r.PolicyName));
        Assert.Equal(
            Enumerable.Range(0, count).Select(i => (i % 3) switch { 0 => ConditionalAccessOutcome.Applied, 1 => ConditionalAccessOutcome.NotApplied, _ => ConditionalAccessOutcome.ReportOnly }),
            explanation.ConditionalAccess.Select(r => r.Outcome));
        Assert.Equal(decision.ExplainForRecordWithTrace().ConditionalAccess, explanation.ConditionalAccess);
    }

    private static DecisionExplanation Explain(CompiledPolicySet policies, AccessRequest request, CertificateValidationResult? certificate = null) =>
        policies.Decide(request, certificate ?? NoCertificate).Explain(recordEvaluated: true);

    private static readonly string[] Users = ["u0@contoso.com", "u1@contoso.com", "u2@contoso.com", "u3@contoso.com", "outsider@fabrikam.com"];
    private static readonly string[] GroupNames = ["G0", "G1", "G2"];
    private static readonly string[] AppNames = ["A", "B", "C"];
    private static readonly string[] Ranges =
        ["10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "203.0.113.7", "0.0.0.0/0", "2001:db8::/32", "2001:db8:1::/48", "::ffff:10.0.0.0/104", "::/0"];
    private static readonly string[] Fragments = ["curl", "EDG/", "firefox", "Mozilla", "Outlook"];
    private static readonly string?[] UserAgents = [Edge, Curl, Firefox, "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)", null];
    private static readonly string?[] Addresses = [null, "10.1.2.3", "::ffff:10.1.2.3", "192.0.2.5", "203.0.113.7", "2001:db8:1::5", "2001:db8:2::5", "198.51.100.1"];

    private static readonly PolicyPools Pools = new(Users, GroupNames, AppNames, Ranges, Fragments);

    private static readonly Gen<ConditionalAccessPolicyEntry> ConditionalAccessGen = PolicyGenerators.ConditionalAccess(Pools);

    private static readonly Gen<AccessPolicyEntry> AccessPolicyGen = Gen.Select(
        PolicyGenerators.AccessPolicy(Pools), Gen.OneOf("Alpha", "alpha", "Beta", "Gamma", "delta"), (policy, name) =>
        {
            policy.Name = name;
            return policy;
        });

    private static readonly Gen<CasbConfiguration> ConfigurationGen =
        from members in PolicyGenerators.Subset(Users).Array[GroupNames.Length]
        from conditionalAccess in ConditionalAccessGen.Array[0, 3]
        from accessPolicies in AccessPolicyGen.Array[0, 14]
        from defaultAction in Gen.Enum<DefaultAction>()
        select new CasbConfiguration
        {
            Revision = 3,
            Settings = new GatewaySettings { DefaultAction = defaultAction },
            Apps =
            [
                new AppEntry { Name = "A", Upstream = "https://127.0.0.1:9001", Hostnames = ["a.contoso.local"] },
                new AppEntry { Name = "B", Upstream = "https://127.0.0.1:9002", Hostnames = ["*.b.contoso.local"], PathPrefix = "/b" },
                new AppEntry { Name = "C", Upstream = "https://127.0.0.1:9003", Hostnames = ["c.contoso.local"] },
            ],
            Groups = GroupNames.Select((g, i) => new GroupEntry { Name = g, Members = members[i] }).ToList(),
            ConditionalAccessPolicies = conditionalAccess.Select((p, i) => { p.Name = $"CA {i}"; return p; }).ToList(),
            AccessPolicies = accessPolicies.ToList(),
        };

    private static readonly Gen<(AccessRequest, CertificateValidationResult)> RequestGen =
        from app in Gen.OneOf("A", "B", "C", "host:a.contoso.local", "host:x.b.contoso.local", "host:nowhere.contoso.local")
        from user in Gen.OneOf<string?>(null, "u0@contoso.com", "U1@CONTOSO.COM", "u2@contoso.com", "outsider@fabrikam.com")
        from userAgent in Gen.OneOf(UserAgents)
        from address in Gen.OneOf(Addresses)
        from certificate in Gen.Int[0, 2]
        select (
            new AccessRequest
            {
                AppName = app.StartsWith("host:", StringComparison.Ordinal) ? null : app,
                Host = app.StartsWith("host:", StringComparison.Ordinal) ? app["host:".Length..] : null,
                Path = "/b/x",
                User = user,
                UserAgent = userAgent,
                ClientAddress = address is null ? null : IPAddress.Parse(address),
                At = At,
            },
            certificate switch { 0 => NoCertificate, 1 => ValidCertificate("u3@contoso.com"), _ => ExpiredCertificate() });
}
