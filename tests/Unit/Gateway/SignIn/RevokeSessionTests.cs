using System.Net;
using CasbCore.SignIn;
using static CasbModule.Tests.Gateway.SignIn.ServerSideSignOutTests;

namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>
/// An admin's Revoke-CasbSession (the engine call it makes, <see cref="EndedSessions.RevokeUser"/>, on the gateway's
/// store): the user's sessions signed in before it end on every gateway of the store after its next poll; other users'
/// sessions go on, and the user signing in again gets a session that works. Through the real gateway and the test identity provider.
/// </summary>
public sealed class RevokeSessionTests : IClassFixture<SignInFixture>
{
    private readonly SignInFixture _fixture;

    public RevokeSessionTests(SignInFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Revoking_a_user_ends_their_sessions_only_and_a_new_sign_in_works()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        string copy = browser.SessionCookie!.Value;
        using SignInHarness.Browser other = harness.CreateBrowser();
        (await other.SignInAsync(SignInHarness.Vendor, "/")).Dispose();
        string vendor = other.SessionCookie!.Value;
        HttpStatusCode vendorPage = await StatusAsync(harness, harness.Gateway.GatewayUrl, vendor, "/vendor-before");
        HttpStatusCode vendorApi = await StatusAsync(harness, harness.Gateway.GatewayUrl, vendor, "/api/vendor-before", browserAccept: false);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(harness, harness.Gateway.GatewayUrl, copy, "/before"));

        // Typed as an admin might: other case, stray spaces. Users compare as policies compare them.
        EndedSessions.RevokedSessions revoked = EndedSessions.RevokeUser(harness.Gateway.Store, "  ADMIN@Contoso.com ", harness.Time.GetUtcNow());
        Assert.Equal("ADMIN@Contoso.com", revoked.UserName);

        // The gateway did not write the list: it reads it at its next poll of the folder store (every 500 ms here).
        Assert.Equal(HttpStatusCode.Redirect, await StatusAfterPollAsync(harness, harness.Gateway.GatewayUrl, copy));
        int upstream = harness.Gateway.UpstreamRequests;
        using (HttpResponseMessage page = await ReplayAsync(harness, harness.Gateway.GatewayUrl, copy, "/after"))
        {
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.StartsWith(new Uri(harness.Idp.Authority, "/connect/authorize").ToString(), page.Headers.Location!.ToString());
        }

        using (HttpResponseMessage api = await ReplayAsync(harness, harness.Gateway.GatewayUrl, copy, "/api/items", browserAccept: false))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
            Assert.Contains("\"error\":\"sign_in_required\"", await api.Content.ReadAsStringAsync());
        }

        Assert.Equal(upstream, harness.Gateway.UpstreamRequests);

        // Another user's session goes on as before.
        Assert.NotEqual(HttpStatusCode.Redirect, vendorPage);
        Assert.Equal(vendorPage, await StatusAsync(harness, harness.Gateway.GatewayUrl, vendor, "/vendor-after"));
        Assert.Equal(vendorApi, await StatusAsync(harness, harness.Gateway.GatewayUrl, vendor, "/api/vendor-after", browserAccept: false));
        Assert.NotEqual(HttpStatusCode.Unauthorized, vendorApi);

        // The user signs in again (a second later: a ticket's issue time is kept to the second) and that session works.
        harness.Time.Offset = TimeSpan.FromSeconds(2);
        using SignInHarness.Browser again = harness.CreateBrowser();
        (await again.SignInAsync(SignInHarness.Admin)).Dispose();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(harness, harness.Gateway.GatewayUrl, again.SessionCookie!.Value, "/fresh"));
        Assert.Equal(HttpStatusCode.Redirect, await StatusAsync(harness, harness.Gateway.GatewayUrl, copy, "/still-ended"));
    }

    [Fact]
    public async Task Revoking_a_user_ends_the_session_on_another_replica_of_the_store()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, replicas: 1);
        Uri replica = Assert.Single(harness.Gateway.ReplicaUrls);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        string copy = browser.SessionCookie!.Value;
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(harness, replica, copy, "/before"));

        EndedSessions.RevokeUser(harness.Gateway.Store, SignInHarness.Admin, harness.Time.GetUtcNow());

        Assert.Equal(HttpStatusCode.Redirect, await StatusAfterPollAsync(harness, replica, copy));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(harness, replica, copy, "/api/items", browserAccept: false));
    }

    /// <summary>
    /// The admin's PowerShell and the gateway have clocks of their own. A gateway a minute ahead of the admin stamps a
    /// sign-in of the minute before the revocation later than the revocation's time: that session must end all the same.
    /// </summary>
    [Fact]
    public async Task A_session_from_a_gateway_whose_clock_is_ahead_of_the_admins_ends()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        harness.Time.Offset = TimeSpan.FromMinutes(1);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        string copy = browser.SessionCookie!.Value;
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(harness, harness.Gateway.GatewayUrl, copy, "/before"));

        EndedSessions.RevokeUser(harness.Gateway.Store, SignInHarness.Admin, DateTimeOffset.UtcNow);

        Assert.Equal(HttpStatusCode.Redirect, await StatusAfterPollAsync(harness, harness.Gateway.GatewayUrl, copy));
    }

    /// <summary>
    /// An admin whose clock is an hour ahead of the gateway's: a sign-in after the revocation is a session that works, not
    /// one ended for the hour the admin's clock is ahead (nor one ended because its issue time is kept to the second).
    /// </summary>
    [Fact]
    public async Task A_sign_in_after_a_revocation_from_an_admin_whose_clock_is_ahead_works()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        string copy = browser.SessionCookie!.Value;

        EndedSessions.RevokeUser(harness.Gateway.Store, SignInHarness.Admin, DateTimeOffset.UtcNow + TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Redirect, await StatusAfterPollAsync(harness, harness.Gateway.GatewayUrl, copy));

        using SignInHarness.Browser again = harness.CreateBrowser();
        (await again.SignInAsync(SignInHarness.Admin)).Dispose();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(harness, harness.Gateway.GatewayUrl, again.SessionCookie!.Value, "/fresh"));
        Assert.Equal(HttpStatusCode.Redirect, await StatusAsync(harness, harness.Gateway.GatewayUrl, copy, "/still-ended"));
    }

    private static async Task<HttpStatusCode> StatusAsync(SignInHarness harness, Uri gateway, string cookie, string path, bool browserAccept = true)
    {
        using HttpResponseMessage response = await ReplayAsync(harness, gateway, cookie, path, browserAccept);
        return response.StatusCode;
    }

    /// <summary>The page's status once it is no longer 200, or 200 after 10 s of the gateway's polls.</summary>
    private static async Task<HttpStatusCode> StatusAfterPollAsync(SignInHarness harness, Uri gateway, string cookie)
    {
        HttpStatusCode status = HttpStatusCode.OK;
        for (int i = 0; i < 100 && status == HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            status = await StatusAsync(harness, gateway, cookie, $"/replay{i}");
        }

        return status;
    }
}
