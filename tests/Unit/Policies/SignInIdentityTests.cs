using System.Net;
using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.SignIn;
using CsCheck;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

/// <summary>The engine's identity stage with sign-in: precedence, token groups, sign-in required, certificate-user mismatch.</summary>
public sealed class SignInIdentityTests
{
    private const string App = "Microsoft Online Services";

    private static CasbConfiguration SignInSeed(SignInMode mode = SignInMode.Required, CertificateUserMismatchAction mismatch = CertificateUserMismatchAction.Audit)
    {
        CasbConfiguration configuration = Seed();
        configuration.Settings.CertificateUserMismatch = mismatch;
        configuration.IdentityProvider = new IdentityProviderEntry
        {
            Name = "Entra ID",
            Id = "provider-1",
            Authority = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
            ClientId = "gateway",
            ClientSecretId = "secret-1",
        };
        configuration.Apps[0].SignIn = mode;
        configuration.Groups.Add(new GroupEntry { Name = "Trusted" });
        configuration.ConditionalAccessPolicies[0].ExcludeGroups.Add("Trusted");
        return configuration;
    }

    private static KeyValuePair<string, string>[] Claims(string user, params string[] groups) =>
        [new("preferred_username", user), new("sub", "abc"), .. groups.Select(g => new KeyValuePair<string, string>("groups", g))];

    private static AccessRequest SignedIn(KeyValuePair<string, string>[] claims, string? header = null) => new()
    {
        AppName = App,
        SignInClaims = claims,
        IdentityHeaderValue = header,
        RemoteAddress = header is null ? null : IPAddress.Parse("10.0.0.5"),
        UserAgent = Edge,
        At = At,
    };

    [Fact]
    public void The_signed_in_user_beats_the_trusted_header_and_the_certificate()
    {
        AccessDecision decision = Decide(SignInSeed(), SignedIn(Claims("bob@fabrikam.com"), header: "header@contoso.com"), ValidCertificate("bob@fabrikam.com"));

        Assert.Equal("bob@fabrikam.com", decision.User);
        Assert.Equal(UserSources.SignIn, decision.UserSource);
        Assert.Equal("Entra ID", decision.IdentityProvider);
        Assert.Contains("User 'bob@fabrikam.com' signed in with 'Entra ID'.", decision.Reasons);
    }

    [Fact]
    public void Without_a_session_the_trusted_header_then_the_certificate_name_the_user_on_an_optional_app()
    {
        CasbConfiguration configuration = SignInSeed(SignInMode.Optional);
        var fromProxy = new AccessRequest
        {
            AppName = App, IdentityHeaderValue = "header@contoso.com", RemoteAddress = IPAddress.Parse("10.0.0.5"), UserAgent = Edge, At = At,
        };
        AccessDecision header = Decide(configuration, fromProxy, ValidCertificate());
        AccessDecision certificate = Decide(configuration, Request(), ValidCertificate());

        Assert.Equal(("header@contoso.com", UserSources.IdentityHeader), (header.User, header.UserSource));
        Assert.Equal(("vendor@contoso.com", UserSources.Certificate), (certificate.User, certificate.UserSource));
        Assert.Null(certificate.IdentityProvider);
    }

    [Fact]
    public void Claims_count_only_for_an_app_that_signs_users_in()
    {
        AccessDecision decision = Decide(SignInSeed(SignInMode.None), SignedIn(Claims("bob@fabrikam.com")), ValidCertificate());

        Assert.Equal(("vendor@contoso.com", UserSources.Certificate), (decision.User, decision.UserSource));
        Assert.Contains("The sign-in claims were ignored: the app does not sign users in.", decision.Reasons);
    }

    [Fact]
    public void Claims_without_the_user_claim_name_nobody_and_a_required_app_asks_for_sign_in()
    {
        KeyValuePair<string, string>[] claims = [new("email", "bob@fabrikam.com"), new("groups", "Trusted")];
        AccessDecision decision = Decide(SignInSeed(), SignedIn(claims), ValidCertificate());

        Assert.True(decision.SignInRequired);
        Assert.Equal(AccessAction.Block, decision.Action);
        Assert.Contains("The sign-in claims were ignored: they have no 'preferred_username' claim naming the user.", decision.Reasons);
    }

    [Fact]
    public void A_required_app_without_a_signed_in_user_is_blocked_before_any_policy_even_with_a_valid_certificate()
    {
        AccessDecision decision = Decide(SignInSeed(), Request(), ValidCertificate());

        Assert.True(decision.SignInRequired);
        Assert.Equal(AccessAction.Block, decision.Action);
        Assert.Equal($"Sign in to {App} to continue.", decision.BlockMessage);
        Assert.Empty(decision.ConditionalAccess);
        Assert.Null(decision.BlockingPolicy);
    }

    [Fact]
    public void A_what_if_user_stands_for_a_signed_in_one()
    {
        AccessDecision decision = Decide(SignInSeed(), Request(user: "bob@fabrikam.com"), ValidCertificate("bob@fabrikam.com"));

        Assert.False(decision.SignInRequired);
        Assert.Equal(UserSources.Parameter, decision.UserSource);
        Assert.Equal(AccessAction.Allow, decision.Action);
    }

    [Fact]
    public void Token_groups_join_the_store_groups_and_an_excluded_token_group_takes_the_user_out_of_conditional_access()
    {
        CasbConfiguration configuration = SignInSeed();
        configuration.Groups[0].Members.Add("bob@fabrikam.com"); // Vendors, from the store

        AccessDecision excluded = Decide(configuration, SignedIn(Claims("bob@fabrikam.com", "Trusted", "Not-In-Store")));
        AccessDecision included = Decide(configuration, SignedIn(Claims("bob@fabrikam.com", "Not-In-Store")));

        Assert.Equal(["Vendors", "Trusted", "Not-In-Store"], excluded.Groups);
        Assert.Equal(AccessAction.Allow, excluded.Action);
        Assert.False(excluded.UnderAppControl);
        Assert.Equal(AccessAction.Block, included.Action);
        Assert.Equal("Use a company device.", included.BlockMessage);
    }

    [Theory]
    [InlineData(CertificateUserMismatchAction.Audit, AccessAction.Allow, true)]
    [InlineData(CertificateUserMismatchAction.Block, AccessAction.Block, true)]
    [InlineData(CertificateUserMismatchAction.Allow, AccessAction.Allow, false)]
    public void A_certificate_of_another_user_is_a_mismatch(CertificateUserMismatchAction setting, AccessAction action, bool marked)
    {
        AccessDecision decision = Decide(SignInSeed(mismatch: setting), SignedIn(Claims("bob@fabrikam.com")), ValidCertificate("alice@contoso.com"));

        Assert.Equal(action, decision.Action);
        Assert.Equal(marked, decision.CertificateUserMismatch);
        Assert.Equal("bob@fabrikam.com", decision.User);
        if (setting == CertificateUserMismatchAction.Block)
        {
            Assert.Equal("This device's certificate belongs to alice@contoso.com, but you signed in as bob@fabrikam.com.", decision.BlockMessage);
        }
    }

    /// <summary>Every sign-in app, mismatch setting and spelling of the user against a certificate of vendor@contoso.com.</summary>
    public static TheoryData<SignInMode, CertificateUserMismatchAction, string> WhatIfUsers()
    {
        var data = new TheoryData<SignInMode, CertificateUserMismatchAction, string>();
        foreach (SignInMode mode in new[] { SignInMode.Required, SignInMode.Optional })
        {
            foreach (CertificateUserMismatchAction action in Enum.GetValues<CertificateUserMismatchAction>())
            {
                foreach (string user in new[] { "bob@fabrikam.com", "vendor@contoso.com", "VENDOR@Contoso.com", " vendor@contoso.com ", "vendor@contoso.co" })
                {
                    data.Add(mode, action, user);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(WhatIfUsers))]
    public void A_what_if_user_meets_the_certificate_user_mismatch_setting_as_the_same_user_signed_in_does(
        SignInMode mode, CertificateUserMismatchAction setting, string user)
    {
        CasbConfiguration configuration = SignInSeed(mode, setting);
        AccessRequest Asking(string? parameter, KeyValuePair<string, string>[]? claims) => new()
        {
            AppName = App,
            User = parameter,
            SignInClaims = claims,
            UserAgent = Edge,
            At = At,
        };

        AccessDecision signedIn = Decide(configuration, Asking(null, Claims(user)), ValidCertificate("vendor@contoso.com"));
        AccessDecision whatIf = Decide(configuration, Asking(user, null), ValidCertificate("vendor@contoso.com"));

        Assert.Equal(signedIn.User, whatIf.User);
        Assert.Equal(signedIn.Action, whatIf.Action);
        Assert.Equal(signedIn.CertificateUserMismatch, whatIf.CertificateUserMismatch);
        Assert.Equal(signedIn.BlockMessage, whatIf.BlockMessage);
        Assert.Equal(setting != CertificateUserMismatchAction.Allow && user.Trim() is "bob@fabrikam.com" or "vendor@contoso.co", whatIf.CertificateUserMismatch);
    }

    [Fact]
    public void The_same_user_in_another_case_is_no_mismatch()
    {
        AccessDecision decision = Decide(SignInSeed(mismatch: CertificateUserMismatchAction.Block), SignedIn(Claims("Bob@Fabrikam.com")), ValidCertificate("bob@fabrikam.com"));

        Assert.Equal(AccessAction.Allow, decision.Action);
        Assert.False(decision.CertificateUserMismatch);
    }

    [Fact]
    public void Any_claims_resolve_to_the_user_and_groups_the_claim_rules_name()
    {
        // Generated sessions: whatever the claims, the engine's user is UserOf(claims) and its groups contain GroupsOf(claims).
        CasbConfiguration configuration = SignInSeed(SignInMode.Optional);
        CompiledPolicySet policies = CompiledPolicySet.Compile(configuration);
        Gen<string> value = Gen.OneOf(Gen.Const(""), Gen.Const(" "), Gen.OneOf("bob@fabrikam.com", "BOB@fabrikam.com", "Trusted", "Vendors", "x"), Gen.String[0, 8]);
        Gen<KeyValuePair<string, string>> claim = Gen.Select(
            Gen.OneOf("preferred_username", "upn", "email", "groups", "roles", "sub", "Preferred_Username"), value,
            (type, v) => new KeyValuePair<string, string>(type, v));
        claim.Array[0, 8].Sample(claims =>
        {
            AccessDecision decision = policies.Decide(SignedIn(claims), NoCertificate);
            string? user = SignInClaims.UserOf(claims, "preferred_username");
            Assert.Equal(user, decision.User);
            Assert.Equal(user is null ? UserSources.Anonymous : UserSources.SignIn, decision.UserSource);
            if (user is not null)
            {
                Assert.All(SignInClaims.GroupsOf(claims, "groups"), g => Assert.Contains(g, decision.Groups, StringComparer.OrdinalIgnoreCase));
            }
        });
    }
}
