using System.Collections;
using System.Net;
using CasbCore.Activity;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Cmdlets;
using CasbModule.Types;
using CasbTestIdentityProvider;
using static CasbModule.Tests.Gateway.SignIn.ServerSideSignOutTests;
using static CasbModule.Tests.Gateway.UserNameSpellingTests;

namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>
/// A user signed in with the identity provider is one user however the provider spells the name or the groups: a
/// decomposed (NFD) name in the token is the precomposed (NFC) user a policy names, a group in the groups claim in NFD is the
/// group configured in NFC, and Revoke-CasbSession with one spelling ends the session signed in with the other. Through the
/// test identity provider and a real gateway; Test-CasbAccess -Claims agrees. Spellings are literals with \u escapes.
/// </summary>
public sealed class SignInUserNameSpellingTests : IClassFixture<SignInFixture>
{
    private const string Nfc = "Jos\u00e9@fabrikam.com";
    private const string Nfd = "Jose\u0301@fabrikam.com";
    private const string GroupMember = "member@fabrikam.com";

    private readonly SignInFixture _fixture;

    public SignInUserNameSpellingTests(SignInFixture fixture) => _fixture = fixture;

    /// <summary>(label, the name the identity provider signs in, the name the policy is written with, the user the activity names).</summary>
    public static TheoryData<string, string, string, string> SignedInAndPolicy() => new()
    {
        { "control: the same NFC spelling", Nfc, Nfc, Nfc },
        { "the same NFD spelling: blocked today, but the activity must name the NFC user", Nfd, Nfd, Nfc },
        { "token NFD, policy NFC", Nfd, Nfc, Nfc },
        { "token NFC, policy NFD", Nfc, Nfd, Nfc },
        { "token NFD upper case, policy NFC", "JOSE\u0301@FABRIKAM.COM", Nfc, "JOS\u00c9@FABRIKAM.COM" },
        { "token fullwidth, policy ASCII", "\uFF4A\uFF4F\uFF48\uFF4E@fabrikam.com", "john@fabrikam.com", "john@fabrikam.com" },
        { "token Hangul jamo, policy syllable", "\u1100\u1161@fabrikam.com", "\uAC00@fabrikam.com", "\uAC00@fabrikam.com" },
    };

    /// <summary>
    /// The user claim in one spelling, the access policy's user in another: the gateway shows the policy's block page, the
    /// request's activity record and the sign-in record name the user in NFC (source SignIn), and Test-CasbAccess -Claims with the token's
    /// spelling gives the same block, policy and message.
    /// </summary>
    [Theory]
    [MemberData(nameof(SignedInAndPolicy))]
    public async Task A_signed_in_user_is_the_user_a_policy_names_in_another_spelling(string label, string signedIn, string policyUser, string expectedUser)
    {
        await using SignInHarness harness = await StartAsync([new TestUser(signedIn, ["Vendors"])], c => NamePolicyUser(c, policyUser, NamedIn.AccessPolicyUsers));
        using SignInHarness.Browser browser = harness.CreateBrowser();

        using HttpResponseMessage landed = await browser.SignInAsync(signedIn, "/mail");
        string page = await landed.Content.ReadAsStringAsync();

        Assert.True(HttpStatusCode.Forbidden == landed.StatusCode, $"{label}: the gateway answered {(int)landed.StatusCode}, not the block page, to {Escaped(signedIn)} signed in under a policy naming {Escaped(policyUser)}");
        Assert.Contains($"<p class=\"message\">{BlockMessage}</p>", page);
        ActivityRecord record = await SignInEndToEndTests.RecordAsync(harness, r => r.Kind is null && r.Path == "/mail" && r.UserSource == UserSources.SignIn);
        Assert.Equal(("Block", BlockPolicy, UserSources.SignIn), (record.Action, record.BlockingPolicy, record.UserSource));
        Assert.True(expectedUser == record.User, $"{label}: the activity names {Escaped(record.User)}, not {Escaped(expectedUser)}");
        // The sign-in event itself (SignInClaims.UserOf) names the user in canonical form too, so -User finds it with the request.
        ActivityRecord signIn = await SignInEndToEndTests.RecordAsync(harness, r => r.Kind == ActivityKinds.SignIn);
        Assert.Equal(ActivityKinds.Success, signIn.Outcome);
        Assert.True(expectedUser == signIn.User, $"{label}: the sign-in record names {Escaped(signIn.User)}, not {Escaped(expectedUser)}");

        using var powerShell = new PowerShellHost();
        CasbAccessDecision whatIf = WhatIf(powerShell, harness.Gateway.StorePath, "", new Hashtable { ["preferred_username"] = signedIn, ["groups"] = new[] { "Vendors" } });
        Assert.Equal((AccessAction.Block, BlockPolicy, BlockMessage), (whatIf.Action, whatIf.BlockingPolicy, whatIf.BlockMessage));
        Assert.True(expectedUser == whatIf.User, $"{label}: Test-CasbAccess names {Escaped(whatIf.User)}, not {Escaped(expectedUser)}");
    }

    /// <summary>(label, the group as the token's groups claim names it, the group as the store names it).</summary>
    public static TheoryData<string, string, string> TokenAndStoreGroup() => new()
    {
        { "control: the same NFC spelling", "Espa\u00f1a", "Espa\u00f1a" },
        { "token NFD, store NFC", "Espan\u0303a", "Espa\u00f1a" },
        { "token NFC, store NFD", "Espa\u00f1a", "Espan\u0303a" },
        { "token fullwidth, other case, store ASCII", "\uFF33\uFF30\uFF21\uFF29\uFF2E", "Spain" },
    };

    /// <summary>
    /// The token's groups claim names a group in one spelling and the store (the group and the access policy naming it) in
    /// another: the gateway blocks with that policy's page, and Test-CasbAccess -Claims with the token's groups agrees.
    /// </summary>
    [Theory]
    [MemberData(nameof(TokenAndStoreGroup))]
    public async Task A_group_in_the_groups_claim_is_the_store_group_in_another_spelling(string label, string tokenGroup, string storeGroup)
    {
        await using SignInHarness harness = await StartAsync([new TestUser(GroupMember, ["Vendors", tokenGroup])], c =>
        {
            NamePolicyUser(c, "nobody@fabrikam.com", NamedIn.AccessPolicyUsers);
            c.AccessPolicies[^1].Users.Clear();
            c.AccessPolicies[^1].Groups.Add(storeGroup);
            c.Groups.Add(new GroupEntry { Name = storeGroup, CreatedAt = DateTimeOffset.UtcNow });
        });
        using SignInHarness.Browser browser = harness.CreateBrowser();

        using HttpResponseMessage landed = await browser.SignInAsync(GroupMember, "/mail");
        string page = await landed.Content.ReadAsStringAsync();

        Assert.True(HttpStatusCode.Forbidden == landed.StatusCode, $"{label}: the gateway answered {(int)landed.StatusCode}, not the block page, to a token in group {Escaped(tokenGroup)} under a policy naming group {Escaped(storeGroup)}");
        Assert.Contains($"<p class=\"message\">{BlockMessage}</p>", page);
        ActivityRecord record = await SignInEndToEndTests.RecordAsync(harness, r => r.Kind is null && r.Path == "/mail" && r.UserSource == UserSources.SignIn);
        Assert.Equal(("Block", BlockPolicy, GroupMember), (record.Action, record.BlockingPolicy, record.User));

        using var powerShell = new PowerShellHost();
        CasbAccessDecision whatIf = WhatIf(powerShell, harness.Gateway.StorePath, "", new Hashtable { ["preferred_username"] = GroupMember, ["groups"] = new[] { "Vendors", tokenGroup } });
        Assert.True(AccessAction.Block == whatIf.Action, $"{label}: Test-CasbAccess -Claims with group {Escaped(tokenGroup)} is {whatIf.Action}");
        Assert.Equal((BlockPolicy, BlockMessage), (whatIf.BlockingPolicy, whatIf.BlockMessage));
    }

    /// <summary>(label, the name the identity provider signs in, the name the admin types to Revoke-CasbSession).</summary>
    public static TheoryData<string, string, string> SignedInAndRevoked() => new()
    {
        { "control: the same NFC spelling", Nfc, Nfc },
        { "signed in NFD, revoked NFC", Nfd, Nfc },
        { "signed in NFC, revoked NFD", Nfc, Nfd },
        { "signed in fullwidth, revoked ASCII other case", "\uFF4A\uFF4F\uFF48\uFF4E@fabrikam.com", "John@Fabrikam.com" },
    };

    /// <summary>
    /// Revoke-CasbSession -UserName in one spelling (the cmdlet, on the gateway's store) ends the session signed in with
    /// the other: after the gateway's next poll the session's page goes back to the identity provider and its API call is
    /// 401 sign_in_required, and nothing more reaches the upstream.
    /// </summary>
    [Theory]
    [MemberData(nameof(SignedInAndRevoked))]
    public async Task Revoke_CasbSession_ends_the_session_signed_in_with_another_spelling(string label, string signedIn, string revoked)
    {
        await using SignInHarness harness = await StartAsync([new TestUser(signedIn, ["Vendors"])], c => c.AccessPolicies.Clear());
        using SignInHarness.Browser browser = harness.CreateBrowser();
        using (HttpResponseMessage landed = await browser.SignInAsync(signedIn, "/mail"))
        {
            Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        }

        string cookie = browser.SessionCookie!.Value;
        using var powerShell = new PowerShellHost();
        var (_, errors) = powerShell.Run(
            "Revoke-CasbSession -StorePath $store -UserName $user -Confirm:$false",
            new Dictionary<string, object?> { ["store"] = harness.Gateway.StorePath, ["user"] = revoked });
        Assert.Empty(errors);

        HttpStatusCode after = await StatusAfterPollAsync(harness, cookie);
        Assert.True(HttpStatusCode.Redirect == after, $"{label}: after Revoke-CasbSession {Escaped(revoked)} the session of {Escaped(signedIn)} still answers {(int)after}");
        int upstream = harness.Gateway.UpstreamRequests;
        using (HttpResponseMessage api = await ReplayAsync(harness, harness.Gateway.GatewayUrl, cookie, "/api/items", browserAccept: false))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
            Assert.Contains("\"error\":\"sign_in_required\"", await api.Content.ReadAsStringAsync());
        }

        Assert.Equal(upstream, harness.Gateway.UpstreamRequests);
    }

    /// <summary>A gateway signing in with an identity provider of its own that knows <paramref name="users"/> too; <paramref name="configure"/> replaces the seed's policies.</summary>
    private Task<SignInHarness> StartAsync(IReadOnlyList<TestUser> users, Action<CasbConfiguration> configure) =>
        SignInHarness.StartAsync(
            _fixture,
            identityProvider: new TestIdentityProviderOptions { Users = [.. SignInHarness.IdpOptions.Users, .. users] },
            configure: c =>
            {
                c.ConditionalAccessPolicies.Clear();
                c.AccessPolicies.Clear();
                configure(c);
            });

    /// <summary>The page's status once it is no longer 200, or 200 after 10 s of the gateway's polls.</summary>
    private static async Task<HttpStatusCode> StatusAfterPollAsync(SignInHarness harness, string cookie)
    {
        HttpStatusCode status = HttpStatusCode.OK;
        for (int i = 0; i < 100 && status == HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            using HttpResponseMessage response = await ReplayAsync(harness, harness.Gateway.GatewayUrl, cookie, $"/replay{i}");
            status = response.StatusCode;
        }

        return status;
    }
}
