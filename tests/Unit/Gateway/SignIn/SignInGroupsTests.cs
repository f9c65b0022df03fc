using System.Net;
using CasbCore.Activity;
using CasbTestIdentityProvider;

namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>
/// Where a signed-in user's groups come from, end to end: Entra ID's group overage (the token points to a Graph-like
/// endpoint that the gateway reads with the access token; here the test identity provider's, which checks the token),
/// and a session past its lifetime signing in again, so that groups changed at the provider count.
/// The store (see <see cref="SignInHarness"/>): group Trusted is excluded from App Control, so a Trusted user reaches the
/// app without a device certificate and anyone else is blocked.
/// </summary>
public sealed class SignInGroupsTests : IClassFixture<SignInFixture>
{
    private const string Many = "many@fabrikam.com";

    private readonly SignInFixture _fixture;

    public SignInGroupsTests(SignInFixture fixture) => _fixture = fixture;

    private static TestIdentityProviderOptions Overage => new()
    {
        Users = [.. SignInHarness.IdpOptions.Users, new TestUser(Many, ["g-0001", "g-0002", "Trusted", "g-0003"])],
        GroupOverageThreshold = 3,
    };

    [Fact]
    public async Task A_token_with_too_many_groups_has_them_read_from_the_groups_endpoint_with_the_access_token()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, identityProvider: Overage);
        using SignInHarness.Browser browser = harness.CreateBrowser();

        using HttpResponseMessage landed = await browser.SignInAsync(Many, "/mail");

        Assert.Equal(HttpStatusCode.OK, landed.StatusCode); // Trusted came from the endpoint: not routed through App Control
        Assert.Contains("Hello from the Casb sample app", await landed.Content.ReadAsStringAsync());
        Assert.Equal(1, harness.Idp.GroupLookups);
        ActivityRecord signIn = await SignInEndToEndTests.RecordAsync(harness, r => r.Kind == ActivityKinds.SignIn);
        Assert.Equal((ActivityKinds.Success, Many, 4), (signIn.Outcome, signIn.User, signIn.GroupCount));

        // Below the threshold the token carries the groups and the endpoint is not called.
        using SignInHarness.Browser few = harness.CreateBrowser();
        (await few.SignInAsync(SignInHarness.Admin)).Dispose();
        Assert.Equal(1, harness.Idp.GroupLookups);
    }

    [Fact]
    public async Task When_the_groups_endpoint_fails_the_sign_in_fails_closed()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, identityProvider: Overage);
        harness.Idp.GroupEndpointDown = true;
        using SignInHarness.Browser browser = harness.CreateBrowser();

        using HttpResponseMessage landed = await browser.SignInAsync(Many, "/mail");
        string page = await landed.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, landed.StatusCode);
        Assert.Contains("your groups could not be read", page);
        Assert.Null(browser.SessionCookie);
        Assert.Equal(0, harness.Gateway.UpstreamRequests);
        ActivityRecord signIn = await SignInEndToEndTests.RecordAsync(harness, r => r.Kind == ActivityKinds.SignIn);
        Assert.Equal((ActivityKinds.Failure, "group_lookup_failed"), (signIn.Outcome, signIn.FailureReason));
    }

    [Fact]
    public async Task A_session_past_its_lifetime_signs_in_again_and_the_groups_are_read_again()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, ownIdentityProvider: true);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        using (HttpResponseMessage blocked = await browser.SignInAsync(SignInHarness.Vendor, "/reports"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        }

        // The directory admin adds the vendor to Trusted: the session keeps the groups it was signed in with...
        harness.Idp.SetGroups(SignInHarness.Vendor, ["Vendors", "Trusted"]);
        using (HttpResponseMessage still = await browser.Client.GetAsync("/reports"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, still.StatusCode);
        }

        // ...until its lifetime (60 minutes) is over: the browser goes back to the provider, which still knows the
        // person (no login form), and the new session has the new groups.
        int signIns = harness.Idp.SignIns;
        harness.Time.Offset = TimeSpan.FromMinutes(61);
        using HttpResponseMessage again = await browser.Client.GetAsync("/reports");

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(new Uri(harness.Gateway.GatewayUrl, "/reports"), again.RequestMessage!.RequestUri);
        Assert.Equal(signIns + 1, harness.Idp.SignIns);
        await SignInEndToEndTests.RecordAsync(harness, r => r.Kind == ActivityKinds.SignIn && r.GroupCount == 2);
        IReadOnlyList<ActivityRecord> signedIn = ActivityLog.ReadNewestFirst(harness.Gateway.Store.ActivityDirectory)
            .Where(r => r.Kind == ActivityKinds.SignIn).ToList();
        Assert.Equal([2, 1], signedIn.Select(r => r.GroupCount!.Value));
    }
}
