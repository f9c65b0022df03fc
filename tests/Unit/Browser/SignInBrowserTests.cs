using System.Security.Cryptography.X509Certificates;
using CasbCore.Activity;
using CasbGateway.Hosting;
using CasbGateway.SampleApp;
using CasbModule.Tests.Gateway;
using CasbModule.Tests.Gateway.SignIn;
using Microsoft.Playwright;

namespace CasbModule.Tests.Browser;

/// <summary>
/// Sign-in in a real browser: Debian's Chromium opens the app at the gateway, is sent to the test identity provider,
/// signs in on its login page and comes back to the app. The gateway's and the provider's TLS certificates are trusted in
/// the browser's NSS database (no "ignore HTTPS errors"). The store is <see cref="SignInHarness"/>'s: conditional access
/// for everyone but group Trusted, and "Require certificate" blocking browsers without a device certificate.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SignInBrowserTests : IClassFixture<BrowserFixture>, IClassFixture<SignInFixture>
{
    private readonly BrowserFixture _browser;
    private readonly SignInFixture _signIn;

    public SignInBrowserTests(BrowserFixture browser, SignInFixture signIn)
    {
        _browser = browser;
        _signIn = signIn;
    }

    [BrowserFact]
    public async Task A_user_in_the_excluded_group_signs_in_at_the_identity_provider_and_comes_back_to_the_app()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_signIn);
        await using BrowserSession browser = await LaunchAsync(harness, "signin-app");

        IResponse? landed = await SignInAsync(browser, harness, SignInHarness.Admin, "/inbox?folder=2");

        Assert.Equal(200, landed?.Status);
        Assert.Equal(new Uri(harness.Gateway.GatewayUrl, "/inbox?folder=2").ToString(), browser.Page.Url);
        Assert.Equal(SampleAppHost.Banner, await browser.Page.Locator("h1").InnerTextAsync());
        await browser.ScreenshotAsync("signin-app");

        BrowserContextCookiesResult session = (await browser.Context.CookiesAsync([harness.Gateway.GatewayUrl.ToString()]))
            .Single(c => c.Name == CasbGateway.SignIn.SignInSchemes.SessionCookie);
        Assert.True(session.HttpOnly && session.Secure);
        Assert.Equal(SameSiteAttribute.Lax, session.SameSite);
        Assert.Equal(-1, session.Expires); // a browser-session cookie: the ticket inside carries the lifetime

        // Another page of the app: the session holds, no second trip to the provider.
        IResponse again = await browser.OpenAsync(new Uri(harness.Gateway.GatewayUrl, "/calendar"));
        Assert.Equal(200, again.Status);
        ActivityRecord signIn = await SignInEndToEndTests.RecordAsync(harness, r => r.Kind == ActivityKinds.SignIn);
        Assert.Equal((ActivityKinds.Success, SignInHarness.Admin), (signIn.Outcome, signIn.User));
        Assert.Single(ActivityLog.ReadNewestFirst(harness.Gateway.Store.ActivityDirectory), r => r.Kind == ActivityKinds.SignIn);
    }

    [BrowserFact]
    public async Task A_vendor_outside_the_group_gets_the_block_page_with_the_admins_message_and_with_a_device_certificate_the_app()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_signIn);
        await using (BrowserSession browser = await LaunchAsync(harness, "signin-block"))
        {
            IResponse? blocked = await SignInAsync(browser, harness, SignInHarness.Vendor, "/reports");

            Assert.Equal(403, blocked?.Status);
            Assert.Equal("Access blocked", await browser.Page.Locator("h1").InnerTextAsync());
            Assert.Equal(SignInHarness.BlockMessage, await browser.Page.Locator(".message").InnerTextAsync());
            Assert.Equal(SignInHarness.Vendor, await browser.Page.Locator(".user").InnerTextAsync());
            Assert.Equal(1, await browser.Page.Locator("form[action='/.casb/signout'] button").CountAsync());
            await browser.ScreenshotAsync("signin-block-page");
            Assert.Equal(0, harness.Gateway.UpstreamRequests);
        }

        // The same vendor on a managed device: the certificate imported with the cmdlet, presented by Chromium.
        string lab = Directory.CreateTempSubdirectory("casb-signin-lab-").FullName;
        try
        {
            _signIn.Lab.WriteTo(lab, BrowserFixture.Password);
            await using BrowserSession managed = await LaunchAsync(harness, "signin-device", Path.Combine(lab, "client.pfx"));

            IResponse? allowed = await SignInAsync(managed, harness, SignInHarness.Vendor, "/reports");

            Assert.Equal(200, allowed?.Status);
            Assert.Equal(SampleAppHost.Banner, await managed.Page.Locator("h1").InnerTextAsync());
            ActivityRecord record = await SignInEndToEndTests.RecordAsync(harness, r => r.Path == "/reports" && r.HttpStatus == 200);
            Assert.Equal(SignInHarness.Vendor, record.User);
            Assert.Equal(_signIn.Lab.Client.Thumbprint, record.CertificateThumbprint);
        }
        finally
        {
            Directory.Delete(lab, recursive: true);
        }
    }

    /// <summary>A Chromium that trusts the gateway and the identity provider, with <paramref name="pfx"/> in its NSS database if given.</summary>
    private async Task<BrowserSession> LaunchAsync(SignInHarness harness, string name, string? pfx = null)
    {
        BrowserSession browser = BrowserSession.Create(name);
        try
        {
            if (pfx is not null)
            {
                Assert.Single(_browser.Run(
                    "Import-CasbClientCertificate -FilePath $pfx -Password (ConvertTo-SecureString $password -AsPlainText -Force) -NssDatabase $db",
                    new Dictionary<string, object?> { ["pfx"] = pfx, ["password"] = BrowserFixture.Password, ["db"] = browser.NssDatabase }));
            }

            using X509Certificate2 gateway = X509CertificateLoader.LoadPkcs12FromFile(ServerCertificate.DefaultPath(harness.Gateway.StorePath), null);
            Trust(browser, "gateway", gateway);
            Trust(browser, "idp", harness.Idp.Certificate);
            await browser.LaunchAsync(_browser.Playwright, pfx is null ? null : harness.Gateway.GatewayUrl);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    private void Trust(BrowserSession browser, string name, X509Certificate2 certificate)
    {
        string pem = Path.Combine(browser.Home, name + ".pem");
        File.WriteAllText(pem, certificate.ExportCertificatePem());
        _browser.Run("Import-CasbClientCertificate -FilePath $pem -NssDatabase $db -TrustServerAuthentication | Out-Null",
            new Dictionary<string, object?> { ["pem"] = pem, ["db"] = browser.NssDatabase });
    }

    /// <summary>Opens <paramref name="path"/>, signs in as <paramref name="user"/> on the provider's login page, and returns the page the browser lands on.</summary>
    private static async Task<IResponse?> SignInAsync(BrowserSession browser, SignInHarness harness, string user, string path)
    {
        await browser.OpenAsync(new Uri(harness.Gateway.GatewayUrl, path));
        Assert.StartsWith(harness.Idp.Authority.GetLeftPart(UriPartial.Authority), browser.Page.Url);
        await browser.Page.Locator("input[name=username]").FillAsync(user);
        // Playwright marks RunAndWaitForNavigationAsync obsolete in favour of WaitForURLAsync, which gives no response: the
        // tests read the status of the page the sign-in lands on, which only this call returns.
#pragma warning disable CS0612
        return await browser.Page.RunAndWaitForNavigationAsync(
            () => browser.Page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync(),
            new PageRunAndWaitForNavigationOptions
            {
                UrlFunc = url => url.StartsWith(harness.Gateway.GatewayUrl.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal)
                                 && !url.Contains("/.casb/", StringComparison.Ordinal),
                Timeout = BrowserSession.StepTimeoutMs,
            });
#pragma warning restore CS0612
    }
}
