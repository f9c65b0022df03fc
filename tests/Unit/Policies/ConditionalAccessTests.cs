using CasbCore.Model;
using CasbCore.Policies;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

public sealed class ConditionalAccessTests
{
    public static TheoryData<string, string[], string[], string[], string[], string?, bool> ScopeCases => new()
    {
        // case, include users, include groups, exclude users, exclude groups, request user, in scope
        { "All includes a named user", ["All"], [], [], [], "someone@contoso.com", true },
        { "All includes the anonymous user", ["All"], [], [], [], null, true },
        { "included by name, case-insensitive", ["Vendor@Contoso.com"], [], [], [], "vendor@contoso.com", true },
        { "included by group", [], ["vendors"], [], [], "vendor@contoso.com", true },
        { "not included", ["admin@contoso.com"], [], [], [], "vendor@contoso.com", false },
        { "anonymous is not included by name or group", ["admin@contoso.com"], ["Vendors"], [], [], null, false },
        { "empty include includes no one", [], [], [], [], "vendor@contoso.com", false },
        { "exclude user beats All", ["All"], [], ["vendor@contoso.com"], [], "vendor@contoso.com", false },
        { "exclude group beats include user", ["vendor@contoso.com"], [], [], ["Vendors"], "vendor@contoso.com", false },
        { "exclude group beats include group", [], ["Vendors"], [], ["Vendors"], "vendor@contoso.com", false },
        { "exclusion of someone else does not matter", ["All"], [], ["admin@contoso.com"], [], "vendor@contoso.com", true },
    };

    [Theory]
    [MemberData(nameof(ScopeCases))]
    public void Include_and_exclude_decide_the_scope(
        string @case, string[] includeUsers, string[] includeGroups, string[] excludeUsers, string[] excludeGroups, string? user, bool inScope)
    {
        CasbConfiguration configuration = Seed();
        ConditionalAccessPolicyEntry policy = configuration.ConditionalAccessPolicies[0];
        policy.IncludeUsers = [.. includeUsers];
        policy.IncludeGroups = [.. includeGroups];
        policy.ExcludeUsers = [.. excludeUsers];
        policy.ExcludeGroups = [.. excludeGroups];

        AccessDecision decision = Decide(configuration, Request(user: user), NoCertificate);

        ConditionalAccessResult result = Assert.Single(decision.ConditionalAccess);
        Assert.True(inScope == (result.Outcome == ConditionalAccessOutcome.Applied), $"{@case}: {result.Outcome} {result.Reason}");
        // In scope, the seed's certificate policy blocks this certificate-less browser request; out of scope it passes untouched.
        Assert.Equal(inScope ? AccessAction.Block : AccessAction.Allow, decision.Action);
        Assert.Equal(inScope, decision.UnderAppControl);
    }

    public static TheoryData<string, string[], ClientAppType[], string, string, bool> ConditionCases => new()
    {
        // case, apps, client app types, request app, user agent, in scope
        { "empty apps means all apps", [], [], "Azure Portal", Edge, true },
        { "app listed", ["azure portal"], [], "Azure Portal", Edge, true },
        { "app not listed", ["Microsoft Online Services"], [], "Azure Portal", Edge, false },
        { "browser only, browser", [], [ClientAppType.Browser], "Azure Portal", Edge, true },
        { "browser only, curl", [], [ClientAppType.Browser], "Azure Portal", Curl, false },
        { "desktop only, curl", [], [ClientAppType.MobileAndDesktop], "Azure Portal", Curl, true },
        { "both types, curl", [], [ClientAppType.Browser, ClientAppType.MobileAndDesktop], "Azure Portal", Curl, true },
    };

    [Theory]
    [MemberData(nameof(ConditionCases))]
    public void Apps_and_client_app_types_narrow_the_scope(string @case, string[] apps, ClientAppType[] types, string app, string userAgent, bool inScope)
    {
        CasbConfiguration configuration = Seed();
        configuration.ConditionalAccessPolicies[0].Apps = [.. apps];
        configuration.ConditionalAccessPolicies[0].ClientAppTypes = [.. types];

        AccessDecision decision = Decide(configuration, Request(app: app, userAgent: userAgent));

        Assert.True(inScope == decision.UnderAppControl, @case);
        Assert.Equal(inScope ? ConditionalAccessOutcome.Applied : ConditionalAccessOutcome.NotApplied, decision.ConditionalAccess[0].Outcome);
    }

    [Fact]
    public void A_request_in_no_App_Control_scope_passes_untouched_even_when_an_access_policy_would_block()
    {
        CasbConfiguration configuration = Seed(DefaultAction.Block);
        configuration.ConditionalAccessPolicies[0].State = ConditionalAccessState.Off;

        AccessDecision decision = Decide(configuration, Request(), NoCertificate);

        Assert.Equal(AccessAction.Allow, decision.Action);
        Assert.False(decision.UnderAppControl);
        Assert.Empty(decision.MatchedPolicies);
        Assert.Contains(CompiledPolicySet.NotInAppControlScope, decision.Reasons);
        Assert.Equal(ConditionalAccessOutcome.NotApplied, decision.ConditionalAccess[0].Outcome);
        Assert.Contains("off", decision.ConditionalAccess[0].Reason);
    }

    [Fact]
    public void A_grant_block_policy_blocks_outright_with_its_name_in_the_message()
    {
        CasbConfiguration configuration = Seed();
        configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Block legacy clients",
            IncludeUsers = ["All"],
            ClientAppTypes = [ClientAppType.MobileAndDesktop],
            Grant = GrantControl.Block,
        });

        AccessDecision desktop = Decide(configuration, Request(userAgent: Curl), ValidCertificate());
        AccessDecision browser = Decide(configuration, Request(), ValidCertificate());

        Assert.Equal(AccessAction.Block, desktop.Action);
        Assert.Equal("Access blocked by conditional access policy 'Block legacy clients'.", desktop.BlockMessage);
        Assert.Equal("Block legacy clients", desktop.BlockingPolicy);
        Assert.Equal(AccessAction.Allow, browser.Action);
    }

    [Fact]
    public void A_report_only_block_is_recorded_and_monitored_but_not_enforced()
    {
        CasbConfiguration configuration = Seed();
        configuration.ConditionalAccessPolicies[0].State = ConditionalAccessState.Off;
        configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Block everyone (report-only)",
            State = ConditionalAccessState.ReportOnly,
            IncludeUsers = ["All"],
            Grant = GrantControl.Block,
        });

        AccessDecision decision = Decide(configuration, Request(), ValidCertificate());

        Assert.Equal(AccessAction.Monitor, decision.Action);
        Assert.Null(decision.BlockMessage);
        ConditionalAccessResult result = decision.ConditionalAccess.Single(r => r.PolicyName == "Block everyone (report-only)");
        Assert.Equal(ConditionalAccessOutcome.ReportOnly, result.Outcome);
        Assert.Contains("would have blocked", result.Reason);
    }

    [Theory]
    [InlineData(true, AccessAction.Monitor)]
    [InlineData(false, AccessAction.Allow)]
    public void A_report_only_App_Control_policy_evaluates_access_policies_without_enforcing_them(bool withoutCertificate, AccessAction expected)
    {
        CasbConfiguration configuration = Seed();
        configuration.ConditionalAccessPolicies[0].State = ConditionalAccessState.ReportOnly;

        AccessDecision decision = Decide(configuration, Request(), withoutCertificate ? NoCertificate : ValidCertificate());

        Assert.Equal(expected, decision.Action);
        Assert.False(decision.UnderAppControl);
        Assert.Equal(ConditionalAccessOutcome.ReportOnly, decision.ConditionalAccess[0].Outcome);
        Assert.Equal(withoutCertificate, decision.Reasons.Contains("Report-only: access policy 'Require certificate' would have blocked."));
    }

    [Theory]
    [InlineData(AppControlMode.MonitorOnly, AccessAction.Monitor)]
    [InlineData(AppControlMode.BlockDownloads, AccessAction.Monitor)]
    [InlineData(AppControlMode.UseCustomPolicy, AccessAction.Block)]
    public void Only_UseCustomPolicy_enforces_access_policy_blocks(AppControlMode mode, AccessAction expected)
    {
        CasbConfiguration configuration = Seed();
        configuration.ConditionalAccessPolicies[0].AppControlMode = mode;

        AccessDecision decision = Decide(configuration, Request(), NoCertificate);

        Assert.Equal(expected, decision.Action);
        Assert.Equal(mode, decision.AppControlMode);
        Assert.Equal("Require certificate", Assert.Single(decision.MatchedPolicies).Name);
    }

    [Fact]
    public void The_strictest_App_Control_mode_of_several_applied_policies_wins()
    {
        CasbConfiguration configuration = Seed();
        configuration.ConditionalAccessPolicies[0].AppControlMode = AppControlMode.MonitorOnly;
        configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Vendors enforced",
            IncludeGroups = ["Vendors"],
            SessionControl = SessionControlKind.AppControl,
            AppControlMode = AppControlMode.UseCustomPolicy,
        });

        Assert.Equal(AccessAction.Block, Decide(configuration, Request(user: "vendor@contoso.com")).Action);
        Assert.Equal(AccessAction.Monitor, Decide(configuration, Request(user: "admin@contoso.com")).Action);
    }

    [Fact]
    public void Grant_block_beats_a_session_control_in_the_same_policy()
    {
        CasbConfiguration configuration = Seed();
        configuration.ConditionalAccessPolicies[0].Grant = GrantControl.Block;

        AccessDecision decision = Decide(configuration, Request(), ValidCertificate());

        Assert.Equal(AccessAction.Block, decision.Action);
        Assert.Equal("Access blocked by conditional access policy 'Route to App Control'.", decision.BlockMessage);
        Assert.False(decision.UnderAppControl);
    }
}
