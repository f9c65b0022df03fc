using System.Net;
using CasbCore.Activity;
using CasbCore.SignIn;
using CasbGateway.SignIn;
using static CasbModule.Tests.Gateway.SignIn.SignInEndToEndTests;

namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>
/// Sign-out ends the session on the server, not only in the browser that signed out: a copy of its cookie (another
/// tab's, a tool's, a thief's) then names nobody, on this gateway at once and on every replica of the store after its
/// next look at the store. Through the real gateway and the test identity provider.
/// </summary>
public sealed class ServerSideSignOutTests : IClassFixture<SignInFixture>
{
    private readonly SignInFixture _fixture;

    public ServerSideSignOutTests(SignInFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task A_copy_of_the_session_cookie_replayed_after_sign_out_is_no_session()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        string copy = browser.SessionCookie!.Value;
        using (HttpResponseMessage before = await ReplayAsync(harness, harness.Gateway.GatewayUrl, copy, "/before"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using (HttpResponseMessage signedOut = await SignOutAsync(harness, browser))
        {
            Assert.Contains("You have signed out", await signedOut.Content.ReadAsStringAsync());
        }

        int upstream = harness.Gateway.UpstreamRequests;
        // A browser page load: back to the identity provider, as without a cookie; the copy is deleted with the answer.
        using (HttpResponseMessage page = await ReplayAsync(harness, harness.Gateway.GatewayUrl, copy, "/after"))
        {
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.StartsWith(new Uri(harness.Idp.Authority, "/connect/authorize").ToString(), page.Headers.Location!.ToString());
            Assert.Contains(page.Headers.GetValues("Set-Cookie"), c => c.StartsWith(SignInSchemes.SessionCookie + "=;", StringComparison.Ordinal));
        }

        // Any other client: 401 sign_in_required, as without a cookie.
        using (HttpResponseMessage api = await ReplayAsync(harness, harness.Gateway.GatewayUrl, copy, "/api/items", browserAccept: false))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
            Assert.Contains("\"error\":\"sign_in_required\"", await api.Content.ReadAsStringAsync());
        }

        Assert.Equal(upstream, harness.Gateway.UpstreamRequests);
        ActivityRecord blocked = await RecordAsync(harness, r => r.Path == "/api/items");
        Assert.Equal(nameof(CasbCore.Policies.AccessAction.Block), blocked.Action);
        Assert.Null(blocked.User);
    }

    [Fact]
    public async Task A_copy_replayed_at_another_replica_of_the_store_is_no_session_after_its_next_look_at_the_store()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, replicas: 1);
        Uri replica = Assert.Single(harness.Gateway.ReplicaUrls);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        string copy = browser.SessionCookie!.Value;
        using (HttpResponseMessage before = await ReplayAsync(harness, replica, copy, "/before"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            Assert.Contains("Hello from the Casb sample app", await before.Content.ReadAsStringAsync());
        }

        (await SignOutAsync(harness, browser)).Dispose();

        // The replica polls the folder store every 500 ms here: well within 10 s, and never OK again after the first refusal.
        HttpStatusCode status = HttpStatusCode.OK;
        for (int i = 0; i < 100 && status == HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            using HttpResponseMessage replay = await ReplayAsync(harness, replica, copy, $"/replay{i}");
            status = replay.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.Redirect, status);
                Assert.StartsWith(new Uri(harness.Idp.Authority, "/connect/authorize").ToString(), replay.Headers.Location!.ToString());
            }
        }

        Assert.Equal(HttpStatusCode.Redirect, status);
        using HttpResponseMessage again = await ReplayAsync(harness, replica, copy, "/api/items", browserAccept: false);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task A_sign_out_the_store_cannot_record_says_so_and_the_session_goes_on()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        string copy = browser.SessionCookie!.Value;
        // A folder where the list of ended sessions belongs: it can be neither read nor written (whoever the tests run as).
        Directory.CreateDirectory(Path.Combine(harness.Gateway.StorePath, "sessions", "ended.json"));

        using HttpResponseMessage failed = await SignOutAsync(harness, browser);
        string page = await failed.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Contains("Sign-out failed", page);
        Assert.Contains("You are still signed in", page);
        Assert.Contains("action=\"/.casb/signout\"", page); // the button to try again
        Assert.NotNull(browser.SessionCookie);
        using (HttpResponseMessage still = await ReplayAsync(harness, harness.Gateway.GatewayUrl, copy, "/still"))
        {
            Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        }

        ActivityRecord record = await RecordAsync(harness, r => r.Kind == ActivityKinds.SignOut);
        Assert.Equal(ActivityKinds.Failure, record.Outcome);
        Assert.Equal("sign_out_unavailable", record.FailureReason);
        Assert.Equal(SignInHarness.Admin, record.User);
        Assert.Equal(503, record.HttpStatus);

        // The gateway cannot read the list either: it keeps the one read last, and /readyz tells a trusted caller so.
        using SignInHarness.Browser monitor = harness.CreateBrowser();
        Assert.True(await Poll.Eventually(async () => (await monitor.Client.GetStringAsync("/readyz")).Contains("degraded: sign-outs: the list read last is in use")),
            await monitor.Client.GetStringAsync("/readyz"));

        // The store can be written again: the same button signs out, and the copy is over.
        Directory.Delete(Path.Combine(harness.Gateway.StorePath, "sessions", "ended.json"));
        using (HttpResponseMessage signedOut = await SignOutAsync(harness, browser))
        {
            Assert.Contains("You have signed out", await signedOut.Content.ReadAsStringAsync());
        }

        using HttpResponseMessage after = await ReplayAsync(harness, harness.Gateway.GatewayUrl, copy, "/after");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.True(await Poll.Eventually(async () => !(await monitor.Client.GetStringAsync("/readyz")).Contains("degraded")),
            await monitor.Client.GetStringAsync("/readyz"));
    }

    [Fact]
    public async Task The_identity_providers_front_channel_sign_out_ends_the_copies_too()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(
            _fixture, identityProvider: new CasbTestIdentityProvider.TestIdentityProviderOptions { Users = SignInHarness.IdpOptions.Users, IssueSessionIds = true });
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        string copy = browser.SessionCookie!.Value;
        string sid = CasbTestIdentityProvider.TestIdentityProvider.SessionIdOf(SignInHarness.Admin);

        // What the provider's hidden frame loads in this browser when the user signs out there.
        using (HttpResponseMessage frame = await browser.Client.GetAsync(
            $"/.casb/signout-oidc?iss={Uri.EscapeDataString(harness.Idp.Authority.ToString())}&sid={Uri.EscapeDataString(sid)}"))
        {
            Assert.Equal(HttpStatusCode.OK, frame.StatusCode);
        }

        Assert.Null(browser.SessionCookie);
        using HttpResponseMessage replay = await ReplayAsync(harness, harness.Gateway.GatewayUrl, copy, "/after");
        Assert.Equal(HttpStatusCode.Redirect, replay.StatusCode);
        Assert.StartsWith(new Uri(harness.Idp.Authority, "/connect/authorize").ToString(), replay.Headers.Location!.ToString());
        Assert.Single(EndedSessions.Read(harness.Gateway.Store));
    }

    [Fact]
    public async Task Each_front_channel_sign_out_and_each_refused_one_is_an_activity_record()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(
            _fixture, identityProvider: new CasbTestIdentityProvider.TestIdentityProviderOptions { Users = SignInHarness.IdpOptions.Users, IssueSessionIds = true });
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        string issuer = Uri.EscapeDataString(harness.Idp.Authority.ToString());
        string sid = CasbTestIdentityProvider.TestIdentityProvider.SessionIdOf(SignInHarness.Admin);

        // A link from another site, guessing: refused, and the attempt is on record.
        using (HttpResponseMessage guessed = await browser.Client.GetAsync($"/.casb/signout-oidc?iss={issuer}&sid=guessed"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, guessed.StatusCode);
        }

        ActivityRecord refused = await RecordAsync(harness, r => r.Kind == ActivityKinds.SignOut);
        Assert.Equal(ActivityKinds.Failure, refused.Outcome);
        Assert.Equal("sign_out_refused", refused.FailureReason);
        Assert.Equal("/.casb/signout-oidc", refused.Path);
        Assert.Equal(400, refused.HttpStatus);

        // The provider's own: the session ends, and who signed out is on record.
        using (HttpResponseMessage frame = await browser.Client.GetAsync($"/.casb/signout-oidc?iss={issuer}&sid={Uri.EscapeDataString(sid)}"))
        {
            Assert.Equal(HttpStatusCode.OK, frame.StatusCode);
        }

        ActivityRecord ended = await RecordAsync(harness, r => r.Kind == ActivityKinds.SignOut && r.Outcome == ActivityKinds.Success);
        Assert.Equal(SignInHarness.Admin, ended.User);
        Assert.Equal("/.casb/signout-oidc", ended.Path);
        Assert.Equal(200, ended.HttpStatus);
    }

    /// <summary>
    /// Every sign-in activity record names the user as enforcement and Revoke-CasbSession read it (the provider's UserClaim,
    /// trimmed), so that Get-CasbActivity -User finds a user's sign-out beside their sign-in and their requests: a token
    /// whose user claims carry white space around the name; each way of signing out, done and refused.
    /// </summary>
    [Fact]
    public async Task Sign_out_records_name_the_user_as_enforcement_reads_it()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(
            _fixture, identityProvider: new CasbTestIdentityProvider.TestIdentityProviderOptions { Users = SignInHarness.IdpOptions.Users, IssueSessionIds = true, PadUserClaims = true });
        string issuer = Uri.EscapeDataString(harness.Idp.Authority.ToString());

        using (SignInHarness.Browser browser = harness.CreateBrowser())
        {
            (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
            ActivityRecord signedIn = await RecordAsync(harness, r => r.Kind == ActivityKinds.SignIn && r.Outcome == ActivityKinds.Success);
            Assert.Equal(SignInHarness.Admin, signedIn.User);

            using (HttpResponseMessage guessed = await browser.Client.GetAsync($"/.casb/signout-oidc?iss={issuer}&sid=guessed"))
            {
                Assert.Equal(HttpStatusCode.BadRequest, guessed.StatusCode);
            }

            using (var crossSite = new HttpRequestMessage(HttpMethod.Post, "/.casb/signout"))
            {
                crossSite.Headers.Add("Origin", "https://evil.example");
                using HttpResponseMessage refused = await browser.Client.SendAsync(crossSite);
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            }

            (await SignOutAsync(harness, browser)).Dispose();
        }

        using (SignInHarness.Browser browser = harness.CreateBrowser())
        {
            (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
            string sid = CasbTestIdentityProvider.TestIdentityProvider.SessionIdOf(SignInHarness.Admin);
            using HttpResponseMessage frame = await browser.Client.GetAsync($"/.casb/signout-oidc?iss={issuer}&sid={Uri.EscapeDataString(sid)}");
            Assert.Equal(HttpStatusCode.OK, frame.StatusCode);
        }

        Assert.True(await Poll.Eventually(() => Task.FromResult(ActivityLog.ReadNewestFirst(harness.Gateway.Store.ActivityDirectory).Count(r => r.Kind == ActivityKinds.SignOut) >= 4)));
        ActivityRecord[] signOuts = ActivityLog.ReadNewestFirst(harness.Gateway.Store.ActivityDirectory).Where(r => r.Kind == ActivityKinds.SignOut).ToArray();
        Assert.All(signOuts, r => Assert.True(r.User == SignInHarness.Admin, $"{r.Path} {r.Outcome} {r.FailureReason}: '{r.User}'"));
    }

    [Fact]
    public async Task The_store_keeps_an_ended_session_until_it_would_have_expired()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        DateTimeOffset signedIn = DateTimeOffset.UtcNow;

        (await SignOutAsync(harness, browser)).Dispose();

        KeyValuePair<string, DateTimeOffset> ended = Assert.Single(EndedSessions.Read(harness.Gateway.Store));
        // The harness's provider gives sessions 60 minutes.
        Assert.InRange(ended.Value, signedIn.AddMinutes(59), signedIn.AddMinutes(61));
        Assert.Contains(EndedSessions.BlobName, harness.Gateway.Store.ListBlobs(""));
    }

    private static async Task<HttpResponseMessage> SignOutAsync(SignInHarness harness, SignInHarness.Browser browser)
    {
        using var signOut = new HttpRequestMessage(HttpMethod.Post, "/.casb/signout");
        signOut.Headers.Add("Origin", harness.Gateway.GatewayUrl.GetLeftPart(UriPartial.Authority));
        return await browser.Client.SendAsync(signOut);
    }

    /// <summary>Another client with only a copy of the session cookie, following no redirects.</summary>
    internal static async Task<HttpResponseMessage> ReplayAsync(SignInHarness harness, Uri gateway, string cookie, string path, bool browserAccept = true)
    {
        using SignInHarness.Browser other = harness.CreateBrowser(followRedirects: false, gateway: gateway);
        other.Cookies.Add(new Cookie(SignInSchemes.SessionCookie, cookie, "/", gateway.Host) { Secure = true });
        if (!browserAccept)
        {
            // An API client: no browser's User-Agent, JSON asked for.
            other.Client.DefaultRequestHeaders.Accept.Clear();
            other.Client.DefaultRequestHeaders.UserAgent.Clear();
            other.Client.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        }

        HttpResponseMessage response = await other.Client.GetAsync(path);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
