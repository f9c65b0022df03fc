using System.Net;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Activity;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Gateway;
using Microsoft.Extensions.DependencyInjection;

namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>
/// Sign-in at the gateway end to end: a real OpenID Connect provider, the real gateway on TLS, and a client that
/// follows redirects and keeps cookies like a browser. What is asserted is what a user sees (status, page text,
/// where the browser lands) and what the activity log says.
/// </summary>
public sealed class SignInEndToEndTests : IClassFixture<SignInFixture>
{
    private readonly SignInFixture _fixture;
    private readonly LabPki _lab;

    public SignInEndToEndTests(SignInFixture fixture)
    {
        _fixture = fixture;
        _lab = fixture.Lab;
    }

    [Fact]
    public async Task A_vendor_without_a_certificate_signs_in_and_gets_the_block_page_that_names_them()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();

        using HttpResponseMessage landed = await browser.SignInAsync(SignInHarness.Vendor, "/reports?q=3");
        string page = await landed.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, landed.StatusCode);
        Assert.Equal(new Uri(harness.Gateway.GatewayUrl, "/reports?q=3"), landed.RequestMessage!.RequestUri);
        Assert.Contains(SignInHarness.BlockMessage, page);
        Assert.Contains($"<dd class=\"user\">{SignInHarness.Vendor}</dd>", page);
        Assert.Contains("action=\"/.casb/signout\"", page);
        // The page's one form is the sign-out, to this host only.
        Assert.Contains("form-action 'self'", landed.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal(0, harness.Gateway.UpstreamRequests);

        ActivityRecord record = await RecordAsync(harness, r => r.Path == "/reports" && r.HttpStatus == 403);
        Assert.Equal(SignInHarness.Vendor, record.User);
        Assert.Equal(UserSources.SignIn, record.UserSource);
        Assert.Equal(SignInHarness.ProviderName, record.IdentityProvider);
        Assert.Equal("Require certificate", record.BlockingPolicy);
    }

    [Theory]
    [InlineData(SignInHarness.Vendor)]
    [InlineData(SignInHarness.Admin)]
    public async Task Test_CasbAccess_with_the_session_claims_decides_what_the_gateway_logged(string user)
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(user, "/mail")).Dispose();

        ActivityRecord logged = await RecordAsync(harness, r => r.Kind is null && r.UserSource == UserSources.SignIn); // a decision, not the sign-in event
        AccessRequest atGateway = harness.Gateway.Decider.Requests.Single(r => r.CorrelationId == logged.CorrelationId);
        var claims = new System.Collections.Hashtable();
        foreach (IGrouping<string, KeyValuePair<string, string>> claim in atGateway.SignInClaims!.GroupBy(c => c.Key))
        {
            claims[claim.Key] = claim.Select(c => c.Value).ToArray();
        }

        using var powershell = new Cmdlets.PowerShellHost();
        (System.Collections.ObjectModel.Collection<System.Management.Automation.PSObject> output, _) = powershell.Run(
            "Test-CasbAccess -StorePath $store -App $app -Claims $claims -UserAgent $ua",
            new Dictionary<string, object?> { ["store"] = harness.Gateway.StorePath, ["app"] = GatewayHarness.AppName, ["claims"] = claims, ["ua"] = atGateway.UserAgent });
        var whatIf = (CasbModule.Types.CasbAccessDecision)Assert.Single(output).BaseObject;

        Assert.Equal(logged.Action, whatIf.Action.ToString());
        Assert.Equal(logged.User, whatIf.User);
        Assert.Equal(logged.UserSource, whatIf.UserSource);
        Assert.Equal(logged.IdentityProvider, whatIf.IdentityProvider);
        Assert.Equal(logged.BlockMessage, whatIf.Action == AccessAction.Block ? whatIf.BlockMessage : null);
        Assert.Equal(logged.ConditionalAccess.Select(c => c.Outcome), whatIf.ConditionalAccess.Select(c => c.Outcome.ToString()));
    }

    [Fact]
    public async Task The_same_vendor_with_a_certificate_reaches_the_app_and_the_session_cookie_stays_at_the_gateway()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using X509Certificate2 certificate = _lab.IssueClient("CN=Vendor laptop", SignInHarness.Vendor, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using SignInHarness.Browser browser = harness.CreateBrowser(certificate);
        int signInsBefore = harness.Idp.SignIns;

        using HttpResponseMessage landed = await browser.SignInAsync(SignInHarness.Vendor);
        string page = await landed.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Contains("Hello from the Casb sample app", page);
        Assert.DoesNotContain("__Host-casb", page);
        Cookie session = Assert.IsType<Cookie>(browser.SessionCookie);
        Assert.True(session.Secure && session.HttpOnly);
        Assert.Equal("/", session.Path);

        // A second request needs no sign-in: the session cookie names the user.
        using HttpResponseMessage again = await browser.Client.GetAsync("/again");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(new Uri(harness.Gateway.GatewayUrl, "/again"), again.RequestMessage!.RequestUri);
        Assert.Equal(signInsBefore + 1, harness.Idp.SignIns);
        ActivityRecord record = await RecordAsync(harness, r => r.Path == "/again");
        Assert.Equal(SignInHarness.Vendor, record.User);
        Assert.Equal(UserSources.SignIn, record.UserSource);
        Assert.Null(record.CertificateUserMismatch);
    }

    [Fact]
    public async Task The_sign_in_uses_the_code_flow_with_pkce_and_the_session_cookie_is_encrypted_host_only_secure_http_only_and_lax()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser(followRedirects: false);
        using (HttpResponseMessage challenge = await browser.Client.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
            Uri authorize = challenge.Headers.Location!;
            Assert.Equal(new Uri(harness.Idp.Authority, "/connect/authorize").ToString(), authorize.GetLeftPart(UriPartial.Path));
            Assert.Contains("code_challenge_method=S256", authorize.Query);
            Assert.Contains("response_type=code&", authorize.Query + "&");
            Assert.Contains("redirect_uri=" + Uri.EscapeDataString(new Uri(harness.Gateway.GatewayUrl, "/.casb/signin-oidc").ToString()), authorize.Query);
        }

        Uri callback = await CallbackAsync(harness, browser);
        // The code comes back in the query of a top-level GET (so the Lax correlation cookie comes with it).
        Assert.Contains("code=", callback.Query);
        Assert.Contains("state=", callback.Query);
        using HttpResponseMessage signedIn = await browser.Client.GetAsync(callback);

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/", signedIn.Headers.Location!.OriginalString);
        string setCookie = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"), v => v.StartsWith("__Host-casb-session=", StringComparison.Ordinal));
        Assert.Contains("; secure", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; path=/", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("expires=", setCookie, StringComparison.OrdinalIgnoreCase);
        // Encrypted: the user's name is nowhere in it, in any encoding the cookie could carry it.
        string value = setCookie["__Host-casb-session=".Length..setCookie.IndexOf(';')];
        Assert.DoesNotContain("vendor", Uri.UnescapeDataString(value), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("vendor@fabrikam")), value);
    }

    [Fact]
    public async Task The_gateway_can_authenticate_to_the_identity_provider_with_a_client_certificate_instead_of_a_secret()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        using X509Certificate2 created = new System.Security.Cryptography.X509Certificates.CertificateRequest(
                "CN=casb-gateway client", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using X509Certificate2 clientCertificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, clientCertificate: clientCertificate);
        using SignInHarness.Browser browser = harness.CreateBrowser();

        using HttpResponseMessage landed = await browser.SignInAsync(SignInHarness.Admin);

        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Contains("Hello from the Casb sample app", await landed.Content.ReadAsStringAsync());
        Assert.DoesNotContain("casb-test-secret", File.ReadAllText(harness.Gateway.Store.SecretsFile));
    }

    [Fact]
    public async Task A_running_gateway_follows_a_new_client_id_and_ends_the_sessions_of_the_old_one()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        long revision = harness.Gateway.Store.Load().Revision;

        harness.Gateway.Store.Update((c, secrets) => CasbCore.SignIn.IdentityProviderCatalog.Set(
            c, secrets, new CasbCore.SignIn.IdentityProviderChange { ClientId = "another-client" }, DateTimeOffset.UtcNow));
        using SignInHarness.Browser noFollow = harness.CreateBrowser(followRedirects: false);
        noFollow.Cookies.Add(browser.Cookies.GetAllCookies());
        HttpResponseMessage? response = null;
        for (int i = 0; i < 100; i++)
        {
            response?.Dispose();
            response = await noFollow.Client.GetAsync("/");
            if (response.StatusCode == HttpStatusCode.Redirect)
            {
                break;
            }

            await Task.Delay(100);
        }

        // No restart: the old session names nobody any more, and the sign-in goes out with the new client id.
        Assert.True(harness.Gateway.Store.Load().Revision > revision);
        Assert.Equal(HttpStatusCode.Redirect, response!.StatusCode);
        Assert.Contains("client_id=another-client", response.Headers.Location!.Query);
        response.Dispose();
    }

    [Fact]
    public async Task A_sign_in_sent_between_the_swap_of_a_new_client_id_and_the_monitors_event_goes_out_with_the_new_one()
    {
        // A request that lands right after the swap, before the monitor's Changed event has reached the sign-in options'
        // change source (this handler subscribed at start, so it runs first): its old session names nobody any more, and
        // the challenge must not go out with the old client id.
        string? location = null;
        SignInHarness.Browser? noFollow = null;
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, configureServices: services =>
            services.AddHostedService(sp => new OnConfigurationChanged(sp.GetRequiredService<CasbGateway.Configuration.ConfigurationMonitor>(), state =>
            {
                if (state.SignIn?.Provider.ClientId == "another-client" && Volatile.Read(ref noFollow) is { } browser)
                {
                    using HttpResponseMessage response = browser.Client.GetAsync("/").GetAwaiter().GetResult();
                    // Anything but the redirect carries its page (the error id and message) into the assertion's failure.
                    Volatile.Write(ref location, response.StatusCode == HttpStatusCode.Redirect
                        ? response.Headers.Location!.Query
                        : $"status {(int)response.StatusCode}: {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
                }
            })));
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        using SignInHarness.Browser signedIn = harness.CreateBrowser(followRedirects: false);
        signedIn.Cookies.Add(browser.Cookies.GetAllCookies());
        Assert.Equal(HttpStatusCode.OK, (await signedIn.Client.GetAsync("/")).StatusCode);
        Volatile.Write(ref noFollow, signedIn);

        harness.Gateway.Store.Update((c, secrets) => CasbCore.SignIn.IdentityProviderCatalog.Set(
            c, secrets, new CasbCore.SignIn.IdentityProviderChange { ClientId = "another-client" }, DateTimeOffset.UtcNow));
        for (int i = 0; i < 100 && Volatile.Read(ref location) is null; i++)
        {
            await Task.Delay(100);
        }

        Assert.NotNull(location);
        Assert.Contains("client_id=another-client", location);
    }

    [Fact]
    public async Task A_user_in_an_excluded_group_passes_untouched()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();

        using HttpResponseMessage landed = await browser.SignInAsync(SignInHarness.Admin);

        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Contains("Hello from the Casb sample app", await landed.Content.ReadAsStringAsync());
        ActivityRecord record = await RecordAsync(harness, r => r.HttpStatus == 200);
        Assert.Equal(SignInHarness.Admin, record.User);
        Assert.Equal(nameof(AccessAction.Allow), record.Action);
        Assert.Contains(record.ConditionalAccess, c => c.Policy == "Vendors via App Control" && c.Outcome == nameof(ConditionalAccessOutcome.NotApplied));
    }

    [Fact]
    public async Task Sign_out_ends_the_session_at_the_gateway_and_the_identity_provider()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        using (HttpResponseMessage landed = await browser.SignInAsync(SignInHarness.Admin))
        {
            Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        }

        using HttpResponseMessage confirm = await browser.Client.GetAsync("/.casb/signout");
        Assert.Contains($"<dd class=\"user\">{SignInHarness.Admin}</dd>", await confirm.Content.ReadAsStringAsync());

        using var signOut = new HttpRequestMessage(HttpMethod.Post, "/.casb/signout");
        signOut.Headers.Add("Origin", harness.Gateway.GatewayUrl.GetLeftPart(UriPartial.Authority));
        using HttpResponseMessage signedOut = await browser.Client.SendAsync(signOut);
        string page = await signedOut.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, signedOut.StatusCode);
        Assert.Equal(new Uri(harness.Gateway.GatewayUrl, "/.casb/signed-out"), signedOut.RequestMessage!.RequestUri);
        Assert.Contains("You have signed out", page);
        Assert.Null(browser.SessionCookie);

        // Signed out at the provider too: the next visit asks for the login again.
        using HttpResponseMessage next = await browser.Client.GetAsync("/");
        Assert.Contains("Casb test identity provider", await next.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_cross_site_sign_out_is_refused()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();

        using var signOut = new HttpRequestMessage(HttpMethod.Post, "/.casb/signout");
        signOut.Headers.Add("Origin", "https://evil.example");
        using HttpResponseMessage refused = await browser.Client.SendAsync(signOut);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using HttpResponseMessage still = await browser.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        Assert.Contains("Hello from the Casb sample app", await still.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Sign_out_still_ends_the_session_when_sign_in_is_unavailable()
    {
        // The provider's secret gone from the store: nobody can sign in, but a session already signed in still works,
        // and its user must still be able to end it (a shared computer).
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        var monitor = harness.Gateway.GatewayServices.GetRequiredService<CasbGateway.Configuration.ConfigurationMonitor>();
        harness.Gateway.Store.Update(c => c.IdentityProvider!.ClientSecretId = "gone");
        for (int i = 0; i < 100 && monitor.Current?.SignIn?.Problem is null; i++)
        {
            await Task.Delay(100);
        }

        Assert.NotNull(monitor.Current?.SignIn?.Problem);
        using var signOut = new HttpRequestMessage(HttpMethod.Post, "/.casb/signout");
        signOut.Headers.Add("Origin", harness.Gateway.GatewayUrl.GetLeftPart(UriPartial.Authority));
        (await browser.Client.SendAsync(signOut)).Dispose();

        Assert.Null(browser.SessionCookie);
        using SignInHarness.Browser noFollow = harness.CreateBrowser(followRedirects: false);
        noFollow.Cookies.Add(browser.Cookies.GetAllCookies());
        using HttpResponseMessage after = await noFollow.Client.GetAsync("/");
        Assert.DoesNotContain("Hello from the Casb sample app", await after.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/.casb/signout-oidc")]
    [InlineData("/.casb/signout-oidc?iss=ISSUER")]
    [InlineData("/.casb/signout-oidc?sid=guessed")]
    public async Task A_cross_site_link_to_the_front_channel_sign_out_does_not_end_the_session(string link)
    {
        // A top-level GET from another site (a link, a redirect) carries the Lax session cookie and takes a Set-Cookie:
        // without the session's own id (sid) it is anybody's page, and must not do what a cross-site POST may not.
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        string issuer = harness.Idp.Authority.ToString();

        using var signOut = new HttpRequestMessage(HttpMethod.Get, link.Replace("ISSUER", Uri.EscapeDataString(issuer), StringComparison.Ordinal));
        signOut.Headers.Add("Sec-Fetch-Site", "cross-site");
        (await browser.Client.SendAsync(signOut)).Dispose();

        Assert.NotNull(browser.SessionCookie);
        using HttpResponseMessage still = await browser.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        Assert.Contains("Hello from the Casb sample app", await still.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_expired_session_sends_the_browser_back_to_the_identity_provider()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        using (HttpResponseMessage fresh = await browser.Client.GetAsync("/fresh"))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        harness.Time.Offset = TimeSpan.FromMinutes(61);
        using SignInHarness.Browser noFollow = harness.CreateBrowser(followRedirects: false);
        noFollow.Cookies.Add(browser.Cookies.GetAllCookies());
        using HttpResponseMessage expired = await noFollow.Client.GetAsync("/fresh");

        Assert.Equal(HttpStatusCode.Redirect, expired.StatusCode);
        Assert.StartsWith(new Uri(harness.Idp.Authority, "/connect/authorize").ToString(), expired.Headers.Location!.ToString());
        // The landing page and /fresh; nothing after the session expired.
        Assert.Equal(2, harness.Gateway.UpstreamRequests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_session_the_gateway_ended_is_deleted_from_the_browser_on_an_app_where_sign_in_is_optional(bool proxied)
    {
        // Optional: the request goes on anonymously (a block page, or the app's own answer with a device certificate), and
        // the browser must still be told that its session is over, or it keeps sending a cookie that names nobody.
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, SignInMode.Optional);
        using X509Certificate2 certificate = _lab.IssueClient("CN=Admin laptop", SignInHarness.Admin, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using SignInHarness.Browser browser = harness.CreateBrowser(proxied ? certificate : null);
        using (HttpResponseMessage login = await browser.Client.GetAsync("/.casb/signin?returnUrl=/"))
        {
            (await browser.PostLoginAsync(login, SignInHarness.Admin)).Dispose();
        }

        Assert.NotNull(browser.SessionCookie);
        harness.Time.Offset = TimeSpan.FromMinutes(61);
        using HttpResponseMessage response = await browser.Client.GetAsync("/after");

        Assert.Equal(proxied ? HttpStatusCode.OK : HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(browser.SessionCookie);
    }

    [Fact]
    public async Task A_shorter_session_lifetime_ends_the_sessions_already_older_than_it()
    {
        // An admin who shortens the lifetime (a stolen laptop, an incident) expects no session to outlive it.
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        var monitor = harness.Gateway.GatewayServices.GetRequiredService<CasbGateway.Configuration.ConfigurationMonitor>();

        harness.Gateway.Store.Update((c, secrets) => CasbCore.SignIn.IdentityProviderCatalog.Set(
            c, secrets, new CasbCore.SignIn.IdentityProviderChange { SessionLifetimeMinutes = 5 }, DateTimeOffset.UtcNow));
        for (int i = 0; i < 100 && monitor.Current?.SignIn?.SessionLifetime != TimeSpan.FromMinutes(5); i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(TimeSpan.FromMinutes(5), monitor.Current?.SignIn?.SessionLifetime);
        harness.Time.Offset = TimeSpan.FromMinutes(10);
        using SignInHarness.Browser noFollow = harness.CreateBrowser(followRedirects: false);
        noFollow.Cookies.Add(browser.Cookies.GetAllCookies());
        using HttpResponseMessage response = await noFollow.Client.GetAsync("/after");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(new Uri(harness.Idp.Authority, "/connect/authorize").ToString(), response.Headers.Location!.ToString());
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("forged")]
    [InlineData("other-store")]
    public async Task A_tampered_or_forged_session_cookie_names_nobody(string how)
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        (await browser.SignInAsync(SignInHarness.Admin)).Dispose();
        string value = browser.SessionCookie!.Value;
        string forged = how switch
        {
            "flip" => value[..20] + (value[20] == 'A' ? 'B' : 'A') + value[21..],
            "forged" => "CfDJ8" + new string('A', value.Length - 5),
            _ => await CookieFromAnotherGatewayAsync(),
        };

        using SignInHarness.Browser noFollow = harness.CreateBrowser(followRedirects: false);
        noFollow.Cookies.Add(new Cookie(CasbGateway.SignIn.SignInSchemes.SessionCookie, forged, "/", harness.Gateway.GatewayUrl.Host) { Secure = true });
        using HttpResponseMessage response = await noFollow.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(new Uri(harness.Idp.Authority, "/connect/authorize").ToString(), response.Headers.Location!.ToString());

        async Task<string> CookieFromAnotherGatewayAsync()
        {
            // Same provider, same user, but another store's keys: its cookie does not decrypt here.
            await using SignInHarness other = await SignInHarness.StartAsync(_fixture);
            using SignInHarness.Browser otherBrowser = other.CreateBrowser();
            (await otherBrowser.SignInAsync(SignInHarness.Admin)).Dispose();
            return otherBrowser.SessionCookie!.Value;
        }
    }

    [Theory]
    [InlineData("tamper")]
    [InlineData("replay")]
    [InlineData("drop-correlation")]
    public async Task A_tampered_replayed_or_expired_state_is_refused_with_a_branded_page(string how)
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser(followRedirects: false);
        Uri callback = await CallbackAsync(harness, browser);
        Uri sent = callback;
        if (how == "tamper")
        {
            string query = callback.Query;
            int state = query.IndexOf("state=", StringComparison.Ordinal) + "state=".Length;
            char c = query[state + 10];
            sent = new Uri(callback.GetLeftPart(UriPartial.Path) + query[..(state + 10)] + (c == 'x' ? 'y' : 'x') + query[(state + 11)..]);
        }
        else if (how == "replay")
        {
            using HttpResponseMessage first = await browser.Client.GetAsync(callback);
            Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        }
        else
        {
            // The correlation cookie expires with the sign-in (15 minutes): the same as never having it.
            foreach (Cookie c in browser.Cookies.GetAllCookies().Where(c => c.Name.StartsWith("__Host-casb-correlation.", StringComparison.Ordinal)))
            {
                c.Expired = true;
            }
        }

        using HttpResponseMessage refused = await browser.Client.GetAsync(sent);
        string page = await refused.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("<h1>Sign-in failed</h1>", page);
        Assert.Contains("Start again from the app", page);
        if (how != "replay")
        {
            Assert.Null(browser.SessionCookie);
        }

        Assert.Equal(0, harness.Gateway.UpstreamRequests);
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/x")]
    [InlineData("/\\evil.example")]
    [InlineData("https:evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("javascript:alert(1)")]
    public async Task A_return_address_off_the_app_host_is_refused(string returnUrl)
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, SignInMode.Optional);
        using SignInHarness.Browser browser = harness.CreateBrowser(followRedirects: false);

        using HttpResponseMessage response = await browser.Client.GetAsync("/.casb/signin?returnUrl=" + Uri.EscapeDataString(returnUrl));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not on this app", await response.Content.ReadAsStringAsync());
        Assert.Null(response.Headers.Location);
    }

    [Theory]
    [InlineData("/files/My%20Report.pdf?v=2")]
    [InlineData("/reports/caf%C3%A9")]
    [InlineData("/wiki/What%3F")]
    [InlineData("/wiki/C%23")]
    public async Task A_deep_link_with_escaped_characters_comes_back_to_the_same_address_after_sign_in(string path)
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using SignInHarness.Browser browser = harness.CreateBrowser();

        using HttpResponseMessage landed = await browser.SignInAsync(SignInHarness.Admin, path);

        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Equal(new Uri(harness.Gateway.GatewayUrl, path), landed.RequestMessage!.RequestUri);
    }

    [Fact]
    public async Task Signing_in_on_an_optional_app_returns_to_the_address_asked_for_on_the_same_host()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, SignInMode.Optional);
        using SignInHarness.Browser browser = harness.CreateBrowser();
        string sameHost = new Uri(harness.Gateway.GatewayUrl, "/reports?q=1").ToString();

        using HttpResponseMessage anonymous = await browser.Client.GetAsync("/reports");
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);

        using HttpResponseMessage login = await browser.Client.GetAsync("/.casb/signin?returnUrl=" + Uri.EscapeDataString(sameHost));
        using HttpResponseMessage landed = await browser.PostLoginAsync(login, SignInHarness.Admin);

        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Equal(new Uri(sameHost), landed.RequestMessage!.RequestUri);
    }

    [Fact]
    public async Task When_the_identity_provider_is_down_an_app_that_requires_sign_in_fails_closed_with_a_branded_page()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, identityProviderDown: true);
        using SignInHarness.Browser browser = harness.CreateBrowser(followRedirects: false);

        using HttpResponseMessage response = await browser.Client.GetAsync("/");
        string page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("<h1>Sign-in unavailable</h1>", page);
        Assert.Contains("the identity provider cannot be reached", page);
        Assert.Equal(0, harness.Gateway.UpstreamRequests);
    }

    [Fact]
    public async Task When_the_identity_provider_goes_down_during_the_sign_in_the_callback_fails_closed()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, ownIdentityProvider: true);
        using SignInHarness.Browser browser = harness.CreateBrowser(followRedirects: false);
        Uri callback = await CallbackAsync(harness, browser);
        await harness.Idp.DisposeAsync();

        using HttpResponseMessage response = await browser.Client.GetAsync(callback);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("the identity provider cannot be reached", await response.Content.ReadAsStringAsync());
        Assert.Null(browser.SessionCookie);
    }

    [Fact]
    public async Task A_client_that_is_not_a_browser_gets_401_instead_of_a_redirect()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture);
        using HttpClient client = harness.Gateway.CreateClient();

        using HttpResponseMessage response = await client.GetAsync("/api/items");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("\"error\":\"sign_in_required\"", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, harness.Gateway.UpstreamRequests);
    }

    [Theory]
    [InlineData("/.casb/anything")]
    [InlineData("/.CASB/signin-oidc")]
    [InlineData("/%2Ecasb/x")]
    [InlineData("//.casb/x")]
    [InlineData("/.casb%2Fsignin-oidc")]
    public async Task Paths_under_the_reserved_prefix_are_never_forwarded_even_for_an_app_without_sign_in(string path)
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, SignInMode.None);
        using HttpClient client = harness.Gateway.CreateClient(_lab.Client);

        using var request = new HttpRequestMessage(HttpMethod.Get, harness.Gateway.GatewayUrl.GetLeftPart(UriPartial.Authority) + path);
        request.Headers.Accept.ParseAdd("text/html");
        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("Hello from the Casb sample app", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, harness.Gateway.UpstreamRequests);
    }

    [Theory]
    [InlineData(CertificateUserMismatchAction.Block)]
    [InlineData(CertificateUserMismatchAction.Audit)]
    [InlineData(CertificateUserMismatchAction.Allow)]
    public async Task A_certificate_for_another_user_is_a_mismatch(CertificateUserMismatchAction setting)
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, configure: c => c.Settings.CertificateUserMismatch = setting);
        using X509Certificate2 alice = _lab.IssueClient("CN=Alice laptop", "alice@contoso.com", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using SignInHarness.Browser browser = harness.CreateBrowser(alice);

        using HttpResponseMessage landed = await browser.SignInAsync(SignInHarness.Vendor);
        string page = await landed.Content.ReadAsStringAsync();
        ActivityRecord record = await RecordAsync(harness, r => r.Kind is null && r.UserSource == UserSources.SignIn); // a decision, not the sign-in event

        Assert.Equal(SignInHarness.Vendor, record.User);
        if (setting == CertificateUserMismatchAction.Block)
        {
            Assert.Equal(HttpStatusCode.Forbidden, landed.StatusCode);
            Assert.Contains("belongs to alice@contoso.com, but you signed in as vendor@fabrikam.com", page);
            Assert.True(record.CertificateUserMismatch);
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
            Assert.Contains("Hello from the Casb sample app", page);
            Assert.Equal(setting == CertificateUserMismatchAction.Audit ? true : null, record.CertificateUserMismatch);
        }
    }

    /// <summary>The first activity record matching <paramref name="match"/>, once the log writer has written it.</summary>
    internal static async Task<ActivityRecord> RecordAsync(SignInHarness harness, Func<ActivityRecord, bool> match)
    {
        for (int i = 0; i < 200; i++)
        {
            if (ActivityLog.ReadNewestFirst(harness.Gateway.Store.ActivityDirectory).FirstOrDefault(match) is { } record)
            {
                return record;
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException("No activity record matched within 10 s.");
    }

    /// <summary>Runs the dance up to the identity provider's redirect back to the gateway, and returns that callback address.</summary>
    internal static async Task<Uri> CallbackAsync(SignInHarness harness, SignInHarness.Browser browser)
    {
        using HttpResponseMessage challenge = await browser.Client.GetAsync("/");
        Uri authorize = challenge.Headers.Location!;
        using HttpResponseMessage toLogin = await browser.Client.GetAsync(authorize);
        using HttpResponseMessage login = await browser.Client.GetAsync(new Uri(harness.Idp.Authority, toLogin.Headers.Location!));
        string page = await login.Content.ReadAsStringAsync();
        string returnUrl = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(page, "name=\"returnUrl\" value=\"([^\"]*)\"").Groups[1].Value);
        using HttpResponseMessage posted = await browser.Client.PostAsync(new Uri(harness.Idp.Authority, "/login"),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = SignInHarness.Vendor, ["returnUrl"] = returnUrl }));
        using HttpResponseMessage back = await browser.Client.GetAsync(new Uri(harness.Idp.Authority, posted.Headers.Location!));
        Uri callback = back.Headers.Location!;
        Assert.Equal("/.casb/signin-oidc", callback.AbsolutePath);
        return callback;
    }
}
