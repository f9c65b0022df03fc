using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

public sealed class AccessPolicyTests
{
    [Fact]
    public void Seed_scenario_a_vendor_with_a_valid_certificate_is_allowed()
    {
        AccessDecision decision = Decide(Seed(), Request(), ValidCertificate());

        Assert.Equal(AccessAction.Allow, decision.Action);
        Assert.Equal("vendor@contoso.com", decision.User);
        Assert.Empty(decision.MatchedPolicies);
        Assert.True(decision.UnderAppControl);
        Assert.Equal(7, decision.Revision);
    }

    [Fact]
    public void Seed_scenario_a_browser_without_a_certificate_is_blocked_with_the_custom_message()
    {
        AccessDecision decision = Decide(Seed(), Request(), NoCertificate);

        Assert.Equal(AccessAction.Block, decision.Action);
        Assert.Equal("Use a company device.", decision.BlockMessage);
        Assert.Equal("Require certificate", decision.BlockingPolicy);
        Assert.Equal("Microsoft Online Services", decision.App);
        Assert.Contains("Blocked by access policy 'Require certificate' (severity Medium).", decision.Reasons);
    }

    [Fact]
    public void A_block_says_whether_the_certificate_decided_it_so_the_block_page_can_explain_only_such_blocks()
    {
        Assert.True(Decide(Seed(), Request(), NoCertificate).BlockedOnDeviceTags);
        Assert.True(Decide(Seed(), Request(), ExpiredCertificate()).BlockedOnDeviceTags);

        // Default-deny and a policy without a device-tag filter block whatever the certificate: nothing to explain about it.
        CasbConfiguration defaultDeny = Seed(DefaultAction.Block);
        defaultDeny.AccessPolicies.Clear();
        AccessDecision denied = Decide(defaultDeny, Request(), NoCertificate);
        Assert.Equal(AccessAction.Block, denied.Action);
        Assert.False(denied.BlockedOnDeviceTags);

        CasbConfiguration byIp = Seed();
        byIp.AccessPolicies[0].DeviceTags.Clear();
        byIp.AccessPolicies[0].IPRanges.Add("0.0.0.0/0");
        AccessDecision blockedByIp = Decide(byIp, Request(), NoCertificate);
        Assert.Equal(AccessAction.Block, blockedByIp.Action);
        Assert.False(blockedByIp.BlockedOnDeviceTags);

        Assert.False(Decide(Seed(), Request(), ValidCertificate()).BlockedOnDeviceTags);
    }

    [Fact]
    public void Seed_scenario_a_desktop_client_is_not_affected_by_a_browser_only_policy()
    {
        AccessDecision decision = Decide(Seed(), Request(userAgent: "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)"), NoCertificate);

        Assert.Equal(AccessAction.Allow, decision.Action);
        Assert.Equal(ClientAppType.MobileAndDesktop, decision.ClientAppType);
        Assert.Empty(decision.MatchedPolicies);
    }

    public static TheoryData<string, Action<AccessPolicyEntry>, AccessRequest, bool> FilterCases => new()
    {
        // case, how the Test policy is configured, the request, whether it matches
        { "no filters match every browser session", _ => { }, Request(), true },
        { "browser is the default client app", _ => { }, Request(userAgent: Curl), false },
        { "MobileAndDesktop matches curl", p => p.ClientApp = AccessPolicyClientApp.MobileAndDesktop, Request(userAgent: Curl), true },
        { "MobileAndDesktop does not match a browser", p => p.ClientApp = AccessPolicyClientApp.MobileAndDesktop, Request(), false },
        { "Any matches curl", p => p.ClientApp = AccessPolicyClientApp.Any, Request(userAgent: Curl), true },
        { "Any matches a missing user agent", p => p.ClientApp = AccessPolicyClientApp.Any, Request(userAgent: null), true },
        { "app listed", p => p.Apps = ["AZURE PORTAL"], Request(app: "Azure Portal"), true },
        { "app not listed", p => p.Apps = ["Microsoft Online Services"], Request(app: "Azure Portal"), false },
        { "user included", p => p.Users = ["Vendor@contoso.com"], Request(user: "vendor@contoso.com"), true },
        { "user not included", p => p.Users = ["admin@contoso.com"], Request(user: "vendor@contoso.com"), false },
        { "anonymous is not in a user list", p => p.Users = ["admin@contoso.com"], Request(), false },
        { "group included", p => p.Groups = ["Vendors"], Request(user: "other@contoso.com"), true },
        { "user or group included", p => { p.Users = ["admin@contoso.com"]; p.Groups = ["Vendors"]; }, Request(user: "admin@contoso.com"), true },
        { "excluded user beats included group", p => { p.Groups = ["Vendors"]; p.ExcludeUsers = ["vendor@contoso.com"]; }, Request(user: "vendor@contoso.com"), false },
        { "excluded group beats everyone", p => p.ExcludeGroups = ["Vendors"], Request(user: "vendor@contoso.com"), false },
        { "excluded group does not exclude anonymous", p => p.ExcludeGroups = ["Vendors"], Request(), true },
        { "IPv4 in range", p => p.IPRanges = ["192.0.2.0/24"], Request(clientAddress: "192.0.2.10"), true },
        { "IPv4 not in range", p => p.IPRanges = ["198.51.100.0/24"], Request(clientAddress: "192.0.2.10"), false },
        { "IPv4-mapped client in IPv4 range", p => p.IPRanges = ["192.0.2.0/24"], Request(clientAddress: "::ffff:192.0.2.10"), true },
        { "IPv6 in range", p => p.IPRanges = ["2001:db8::/32"], Request(clientAddress: "2001:db8:5::1"), true },
        { "IPv6 single address", p => p.IPRanges = ["2001:db8::1"], Request(clientAddress: "2001:db8::2"), false },
        { "NotIn, outside", p => { p.IPRanges = ["10.0.0.0/8", "2001:db8::/32"]; p.IPRangeOperator = IPRangeOperator.NotIn; }, Request(clientAddress: "192.0.2.10"), true },
        { "NotIn, inside IPv6", p => { p.IPRanges = ["10.0.0.0/8", "2001:db8::/32"]; p.IPRangeOperator = IPRangeOperator.NotIn; }, Request(clientAddress: "2001:db8::9"), false },
        { "unknown address is in no range", p => p.IPRanges = ["0.0.0.0/0"], Request(clientAddress: null), false },
        { "unknown address is NotIn every range", p => { p.IPRanges = ["0.0.0.0/0"]; p.IPRangeOperator = IPRangeOperator.NotIn; }, Request(clientAddress: null), true },
        { "user agent contains, case-insensitive", p => p.UserAgentContains = ["x", "EDG/"], Request(), true },
        { "user agent does not contain", p => p.UserAgentContains = ["Firefox"], Request(), false },
        { "device tag Equals without certificate", p => p.DeviceTags = ["ValidClientCertificate"], Request(), false },
        { "device tag DoesNotEqual without certificate", p => { p.DeviceTags = ["ValidClientCertificate"]; p.DeviceTagOperator = FilterOperator.DoesNotEqual; }, Request(), true },
    };

    [Theory]
    [MemberData(nameof(FilterCases))]
    public void Every_filter_must_match(string @case, Action<AccessPolicyEntry> configure, AccessRequest request, bool matches)
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies.Clear();
        var policy = new AccessPolicyEntry { Name = "Observe", Action = AccessPolicyAction.Test };
        configure(policy);
        configuration.AccessPolicies.Add(policy);

        AccessDecision decision = Decide(configuration, request, NoCertificate);

        Assert.True(matches == (decision.MatchedPolicies.Count == 1), $"{@case}: matched {decision.MatchedPolicies.Count}");
        Assert.Equal(matches ? AccessAction.Monitor : AccessAction.Allow, decision.Action);
    }

    [Theory]
    [InlineData(FilterOperator.Equals, true)]
    [InlineData(FilterOperator.DoesNotEqual, false)]
    public void Device_tags_of_a_valid_certificate_are_matched(FilterOperator @operator, bool matches)
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies[0] = new AccessPolicyEntry
        {
            Name = "Tagged",
            Action = AccessPolicyAction.Test,
            DeviceTags = ["Valid client certificate"],
            DeviceTagOperator = @operator,
        };

        AccessDecision decision = Decide(configuration, Request(), ValidCertificate());

        Assert.Equal(matches, decision.MatchedPolicies.Count == 1);
    }

    public static TheoryData<string, (string Name, PolicySeverity Severity, string? Message)[], string, string> PrecedenceCases => new()
    {
        // case, blocking policies, the winner, the message shown
        { "highest severity wins", [("A", PolicySeverity.Low, "low"), ("B", PolicySeverity.High, "high"), ("C", PolicySeverity.Medium, "medium")], "B", "high" },
        { "ties go to the name, ignoring case", [("beta", PolicySeverity.High, "beta"), ("Alpha", PolicySeverity.High, "alpha")], "Alpha", "alpha" },
        { "a policy without a message gets the default", [("Quiet", PolicySeverity.High, null), ("Loud", PolicySeverity.Low, "loud")], "Quiet", "Access to Azure Portal is blocked by your organization's policy." },
    };

    [Theory]
    [MemberData(nameof(PrecedenceCases))]
    public void The_highest_severity_block_decides_and_every_match_is_listed(
        string @case, (string Name, PolicySeverity Severity, string? Message)[] blocks, string winner, string message)
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies.Clear();
        configuration.AccessPolicies.Add(new AccessPolicyEntry { Name = "Observe", Action = AccessPolicyAction.Test });
        foreach ((string name, PolicySeverity severity, string? text) in blocks)
        {
            configuration.AccessPolicies.Add(new AccessPolicyEntry { Name = name, Action = AccessPolicyAction.Block, Severity = severity, BlockMessage = text });
        }

        AccessDecision decision = Decide(configuration, Request(app: "Azure Portal"));

        Assert.Equal(AccessAction.Block, decision.Action);
        Assert.True(winner == decision.BlockingPolicy, @case);
        Assert.Equal(message, decision.BlockMessage);
        Assert.Equal(blocks.Length + 1, decision.MatchedPolicies.Count);
    }

    [Fact]
    public void Disabled_policies_are_ignored()
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies[0].Enabled = false;

        AccessDecision decision = Decide(configuration, Request(), NoCertificate);

        Assert.Equal(AccessAction.Allow, decision.Action);
        Assert.Empty(decision.MatchedPolicies);
    }

    [Theory]
    [InlineData(DefaultAction.Allow, false, AccessAction.Allow)]
    [InlineData(DefaultAction.Allow, true, AccessAction.Monitor)]
    [InlineData(DefaultAction.Block, false, AccessAction.Block)]
    [InlineData(DefaultAction.Block, true, AccessAction.Block)]
    public void The_default_action_decides_what_no_policy_blocks(DefaultAction defaultAction, bool testPolicyMatches, AccessAction expected)
    {
        CasbConfiguration configuration = Seed(defaultAction);
        if (testPolicyMatches)
        {
            configuration.AccessPolicies.Add(new AccessPolicyEntry { Name = "Observe", Action = AccessPolicyAction.Test });
        }

        AccessDecision decision = Decide(configuration, Request(app: "Azure Portal"));

        Assert.Equal(expected, decision.Action);
        Assert.Null(decision.BlockingPolicy);
        Assert.Equal(expected == AccessAction.Block ? "Access to Azure Portal is not allowed by default." : null, decision.BlockMessage);
    }

    [Fact]
    public void Default_deny_does_not_apply_outside_App_Control()
    {
        CasbConfiguration configuration = Seed(DefaultAction.Block);
        configuration.ConditionalAccessPolicies[0].Apps = ["Microsoft Online Services"];

        Assert.Equal(AccessAction.Allow, Decide(configuration, Request(app: "Azure Portal")).Action);
        Assert.Equal(AccessAction.Block, Decide(configuration, Request(app: "Microsoft Online Services"), ValidCertificate()).Action);
    }

    [Fact]
    public void A_request_for_no_app_is_blocked_without_an_app()
    {
        CompiledPolicySet policies = CompiledPolicySet.Compile(Seed());

        AccessDecision byHost = policies.Decide(new AccessRequest { Host = "unknown.contoso.local", Path = "/", UserAgent = Edge, At = At }, NoCertificate);
        AccessDecision byName = policies.Decide(new AccessRequest { AppName = "Missing", At = At }, NoCertificate);

        Assert.Null(byHost.App);
        Assert.Equal(AccessAction.Block, byHost.Action);
        Assert.Contains("No app is configured for host 'unknown.contoso.local'", byHost.Reasons[0]);
        Assert.Null(byName.App);
        Assert.Equal("No app is named 'Missing'.", byName.Reasons[0]);
    }

    [Fact]
    public void A_request_is_mapped_to_its_app_by_host_and_path()
    {
        AccessDecision decision = CompiledPolicySet.Compile(Seed())
            .Decide(new AccessRequest { Host = "MOS.contoso.local:8443", Path = "/owa", UserAgent = Edge, At = At }, NoCertificate);

        Assert.Equal("Microsoft Online Services", decision.App);
        Assert.Equal("Use a company device.", decision.BlockMessage);
    }

    [Fact]
    public void Without_a_client_certificate_the_validator_is_not_needed()
    {
        var engine = new CasbCore.CasbEngine(Seed());

        AccessDecision decision = engine.Decide(Request());

        Assert.Equal(AccessAction.Block, decision.Action);
        Assert.Equal("NoCertificate", decision.Certificate?.Status);
    }

    [Theory]
    [InlineData("10.0.0.0/33", "InvalidIPRange")]
    [InlineData("not-an-address", "InvalidIPRange")]
    public void Compiling_a_policy_with_an_unparsable_range_fails_closed(string range, string errorId)
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies[0].IPRanges = [range];

        CasbCore.CasbException error = Assert.Throws<CasbCore.CasbException>(() => CompiledPolicySet.Compile(configuration));

        Assert.Equal(errorId, error.ErrorId);
        Assert.Contains("Require certificate", error.Message);
    }

    [Fact]
    public void Compiling_a_policy_with_an_unknown_device_tag_fails_closed()
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies[0].DeviceTags = ["Compliant"];

        CasbCore.CasbException error = Assert.Throws<CasbCore.CasbException>(() => CompiledPolicySet.Compile(configuration));

        Assert.Equal("UnknownDeviceTag", error.ErrorId);
    }
}
