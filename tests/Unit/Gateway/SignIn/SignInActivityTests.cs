using System.Net;
using CasbCore.Activity;
using CasbCore.Policies;
using CasbGateway.Enforcement;
using static CasbModule.Tests.Gateway.SignIn.SignInEndToEndTests;

namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>
/// Sign-ins and sign-outs in the activity log, through the real gateway and the test identity provider: one record
/// each (Kind SignIn or SignOut), with the user, the number of groups the token named, the identity provider, the
/// outcome and, for a failure, the reason its page showed, under the correlation id the page showed.
/// </summary>
public sealed class SignInActivityTests : IClassFixture<SignInFixture>
{
    private readonly SignInFixture _fixture;

    public SignInActivityTests(SignInFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData(SignInHarness.Vendor, 1)]
    [InlineData("nogroups@fabrikam.com", 0)]
    public async Task A_sign_in_is_one_record_with_the_user_the_number_of_groups_and_the_identity_provider(string user, int groups)
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();

        (await browser.SignInAsync(user, "/mail")).Dispose();

        ActivityRecord signIn = await RecordAsync(harness, r => r.Kind == ActivityKinds.SignIn);
        Assert.Equal(ActivityKinds.Success, signIn.Outcome);
        Assert.Equal(user, signIn.User);
        Assert.Equal(UserSources.SignIn, signIn.UserSource);
        Assert.Equal(groups, signIn.GroupCount);
        Assert.Equal(SignInHarness.ProviderName, signIn.IdentityProvider);
        Assert.Equal(GatewayHarness.AppName, signIn.App);
        Assert.Equal("/.casb/signin-oidc", signIn.Path);
        Assert.Equal(302, signIn.HttpStatus);
        Assert.Null(signIn.FailureReason);
        Assert.Equal("", signIn.Action); // not a decision: Get-CasbActivity -Action Block does not list it
        Assert.Matches("^[0-9a-f]{32}$", signIn.CorrelationId);

        // The request it came back to is a decision record, as before, with its own correlation id.
        ActivityRecord request = await RecordAsync(harness, r => r.Path == "/mail");
        Assert.Null(request.Kind);
        Assert.NotEqual(signIn.CorrelationId, request.CorrelationId);
        Assert.Single(ActivityLog.ReadNewestFirst(harness.Gateway.Store.ActivityDirectory), r => r.Kind == ActivityKinds.SignIn);
    }

    [Fact]
    public async Task Sign_out_is_a_record_that_names_the_user_and_a_cross_site_one_is_a_failure()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();

        using (var crossSite = new HttpRequestMessage(HttpMethod.Post, "/.casb/signout"))
        {
            crossSite.Headers.Add("Origin", "https://evil.example");
            using HttpResponseMessage refused = await browser.Client.SendAsync(crossSite);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var signOut = new HttpRequestMessage(HttpMethod.Post, "/.casb/signout"))
        {
            signOut.Headers.Add("Origin", harness.Gateway.GatewayUrl.GetLeftPart(UriPartial.Authority));
            (await browser.Client.SendAsync(signOut)).Dispose();
        }

        ActivityRecord failed = await RecordAsync(harness, r => r.Kind == ActivityKinds.SignOut && r.Outcome == ActivityKinds.Failure);
        ActivityRecord succeeded = await RecordAsync(harness, r => r.Kind == ActivityKinds.SignOut && r.Outcome == ActivityKinds.Success);
        Assert.Equal(("sign_out_refused", 403, SignInHarness.Admin), (failed.FailureReason, failed.HttpStatus, failed.User));
        Assert.Equal((SignInHarness.Admin, "POST", SignInHarness.ProviderName), (succeeded.User, succeeded.Method, succeeded.IdentityProvider));
        Assert.Null(succeeded.FailureReason);
        // The confirmation page (GET) and the signed-out page are no events.
        Assert.Equal(2, ActivityLog.ReadNewestFirst(harness.Gateway.Store.ActivityDirectory).Count(r => r.Kind == ActivityKinds.SignOut));
    }

    [Theory]
    [InlineData("tamper", 400, "sign_in_state_invalid")]
    [InlineData("drop-correlation", 400, "sign_in_expired")]
    [InlineData("idp-down", 503, "identity_provider_unavailable")]
    public async Task A_failed_sign_in_is_a_record_with_the_reason_under_the_correlation_id_its_page_shows(string how, int status, string reason)
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, ownIdentityProvider: how == "idp-down");
        using SignInHarness.Browser browser = harness.CreateBrowser(followRedirects: false);
        Uri callback = await CallbackAsync(harness, browser);
        switch (how)
        {
            case "tamper":
                string query = callback.Query;
                int state = query.IndexOf("state=", StringComparison.Ordinal) + "state=".Length + 10;
                callback = new Uri(callback.GetLeftPart(UriPartial.Path) + query[..state] + (query[state] == 'x' ? 'y' : 'x') + query[(state + 1)..]);
                break;
            case "drop-correlation":
                foreach (Cookie c in browser.Cookies.GetAllCookies().Where(c => c.Name.StartsWith("__Host-casb-correlation.", StringComparison.Ordinal)))
                {
                    c.Expired = true;
                }

                break;
            default:
                await harness.Idp.DisposeAsync();
                break;
        }

        using HttpResponseMessage refused = await browser.Client.GetAsync(callback);
        string page = await refused.Content.ReadAsStringAsync();
        string correlationId = refused.Headers.GetValues(ResponsePages.CorrelationHeader).Single();

        Assert.Equal(status, (int)refused.StatusCode);
        Assert.Contains(correlationId, page);
        ActivityRecord record = await RecordAsync(harness, r => r.Kind == ActivityKinds.SignIn);
        Assert.Equal((ActivityKinds.Failure, reason, status), (record.Outcome, record.FailureReason, record.HttpStatus));
        Assert.Equal(correlationId, record.CorrelationId);
        Assert.Null(record.User);
        Assert.Null(record.GroupCount);
        Assert.Equal(SignInHarness.ProviderName, record.IdentityProvider);
        Assert.Equal("/.casb/signin-oidc", record.Path);
    }

    [Fact]
    public async Task An_open_redirect_attempt_at_the_sign_in_endpoint_is_a_failed_sign_in()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, CasbCore.Model.SignInMode.Optional);
        using SignInHarness.Browser browser = harness.CreateBrowser(followRedirects: false);

        using HttpResponseMessage refused = await browser.Client.GetAsync("/.casb/signin?returnUrl=" + Uri.EscapeDataString("https://evil.example/"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        ActivityRecord record = await RecordAsync(harness, r => r.Kind == ActivityKinds.SignIn);
        Assert.Equal((ActivityKinds.Failure, "return_url_invalid", "/.casb/signin"), (record.Outcome, record.FailureReason, record.Path));
        Assert.Equal(refused.Headers.GetValues(ResponsePages.CorrelationHeader).Single(), record.CorrelationId);
    }

    [Fact]
    public async Task The_identity_provider_down_at_the_sign_in_endpoint_is_a_failed_sign_in()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, CasbCore.Model.SignInMode.Optional, identityProviderDown: true);
        using SignInHarness.Browser browser = harness.CreateBrowser(followRedirects: false);

        using HttpResponseMessage unavailable = await browser.Client.GetAsync("/.casb/signin?returnUrl=/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        ActivityRecord record = await RecordAsync(harness, r => r.Kind == ActivityKinds.SignIn);
        Assert.Equal((ActivityKinds.Failure, "identity_provider_unavailable", 503), (record.Outcome, record.FailureReason, record.HttpStatus));
    }
}
