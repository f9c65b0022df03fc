using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

/// <summary>The decision value: fails closed when nobody made it, explains itself from what it was made on, shares nothing writable.</summary>
public sealed class AccessDecisionTests
{
    [Fact]
    public void A_decision_nobody_made_blocks_and_explains_nothing()
    {
        AccessDecision none = default;

        Assert.Equal(AccessAction.Block, none.Action);
        Assert.Null(none.App);
        Assert.Equal(UserSources.Anonymous, none.UserSource);
        Assert.Empty(none.Groups);
        Assert.Empty(none.Reasons);
        Assert.Same(DecisionExplanation.None, none.Explain());
    }

    [Fact]
    public void Every_explanation_of_a_decision_gives_the_same_reasons_in_the_documented_order()
    {
        CasbConfiguration configuration = Seed();
        configuration.Settings.TrustedProxies = ["10.0.0.5"];
        AccessDecision decision = CompiledPolicySet.Compile(configuration).Decide(
            new AccessRequest { AppName = "Microsoft Online Services", UserAgent = Edge, IdentityHeaderValue = "mallory@contoso.com", RemoteAddress = System.Net.IPAddress.Parse("192.0.2.9"), At = At },
            NoCertificate);

        DecisionExplanation first = decision.Explain();
        DecisionExplanation second = decision.Explain();

        Assert.Equal(AccessAction.Block, decision.Action);
        Assert.NotSame(first, second);
        Assert.Equal(first.Reasons, second.Reasons);
        Assert.Equal(
        [
            "App 'Microsoft Online Services'.",
            "The identity header was ignored: 192.0.2.9 is not a trusted proxy.",
            "The user is anonymous.",
            "Conditional access policy 'Route to App Control': Applied. Session under App Control (UseCustomPolicy).",
            "Access policy 'Require certificate' matched (Block, severity Medium).",
            "Blocked by access policy 'Require certificate' (severity Medium).",
        ], first.Reasons);
        Assert.Equal("Require certificate", Assert.Single(first.MatchedPolicies).Name);
        Assert.Empty(first.EvaluatedAccessPolicies);
    }

    [Fact]
    public void The_groups_and_device_tags_a_decision_hands_out_cannot_change_the_compiled_revision()
    {
        CompiledPolicySet policies = CompiledPolicySet.Compile(Seed());
        AccessDecision decision = policies.Decide(Request(user: "vendor@contoso.com"), ValidCertificate());

        Assert.Throws<NotSupportedException>(() => ((IList<string>)decision.Groups)[0] = "Admins");
        Assert.Throws<NotSupportedException>(() => ((IList<string>)decision.DeviceTags)[0] = "Compliant");
        Assert.Equal(["Vendors"], policies.Decide(Request(user: "vendor@contoso.com"), ValidCertificate()).Groups);
    }
}
