using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using CasbCore.Activity;
using CasbCore.Store;
using CasbGateway.Hosting;
using CasbGateway.SampleApp;
using CasbModule.Tests.Gateway;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace CasbModule.Tests.Browser;

/// <summary>
/// The seed's experience in a real browser: Debian's Chromium, a certificate imported with Import-CasbClientCertificate
/// into the NSS database of the browser's own HOME, the gateway's server certificate trusted the same way (no "ignore
/// HTTPS errors"), and assertions on what the person sees.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class BrowserTests : IClassFixture<BrowserFixture>
{
    private const string BlockMessage = "Use a company device. Vendors: see the onboarding guide.";
    private readonly BrowserFixture _fixture;
    private readonly ITestOutputHelper _output;

    public BrowserTests(BrowserFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [BrowserFact]
    public async Task With_the_certificate_in_the_NSS_database_the_app_loads_and_connections_are_reused()
    {
        await using GatewayHarness gateway = await StartGatewayAsync();
        await using BrowserSession browser = BrowserSession.Create("app");
        ImportClientCertificate(browser, _fixture.LabFile("client.pfx"));
        TrustGateway(browser, gateway);
        await browser.LaunchAsync(_fixture.Playwright, gateway.GatewayUrl);

        IResponse response = await browser.OpenAsync(gateway.GatewayUrl);

        Assert.Equal(200, response.Status);
        Assert.Equal(SampleAppHost.Banner, await browser.Page.Locator("h1").InnerTextAsync());
        await browser.ScreenshotAsync("app");
        ActivityRecord record = (await gateway.WaitForActivityAsync(1)).First();
        Assert.Equal("Allow", record.Action.ToString());
        Assert.Equal(_fixture.Pki.Client.Thumbprint, record.CertificateThumbprint);

        // 20 page loads in one browser session: the client certificate is presented on the first TLS handshake and the
        // connection (or the TLS session) is reused, not renegotiated per page.
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(200, (await browser.OpenAsync(new Uri(gateway.GatewayUrl, $"/page/{i}"))).Status);
        }

        (long withCertificate, long without) = await HandshakesAsync(gateway);
        _output.WriteLine($"TLS handshakes over 21 page loads in one Chromium session: {withCertificate} with a client certificate, {without} without.");
        await File.WriteAllTextAsync(Path.Combine(BrowserEnvironment.ScreenshotFolder, "handshakes.txt"),
            $"page loads: 21\nTLS handshakes with a client certificate: {withCertificate}\nwithout: {without}\n");
        Assert.InRange(withCertificate, 1, 3);
    }

    [BrowserFact]
    public async Task Without_a_certificate_the_block_page_shows_the_message_the_app_the_correlation_id_and_why()
    {
        await using GatewayHarness gateway = await StartGatewayAsync();
        await using BrowserSession browser = BrowserSession.Create("block");
        TrustGateway(browser, gateway);
        await browser.LaunchAsync(_fixture.Playwright, gateway.GatewayUrl);

        IResponse response = await browser.OpenAsync(gateway.GatewayUrl);

        Assert.Equal(403, response.Status);
        string correlationId = (await response.HeaderValueAsync("x-casb-correlation-id"))!;
        Assert.False(string.IsNullOrEmpty(correlationId));
        await AssertBlockPageAsync(browser.Page, correlationId, "Your browser did not offer a device certificate.");
        Assert.Equal(0, await browser.Page.Locator(".certificate-subject").CountAsync());
        await AssertAccessibleAsync(browser.Page);
        await browser.ScreenshotAsync("block-page");

        // The helpdesk finds the request by the id the person copies.
        ActivityRecord record = (await gateway.WaitForActivityAsync(1)).First();
        Assert.Equal(correlationId, record.CorrelationId);
        Assert.Equal("Block", record.Action.ToString());

        // "Copy details": the page's one script runs under its Content-Security-Policy and copies the details.
        await browser.Context.GrantPermissionsAsync(new[] { "clipboard-read", "clipboard-write" }, new BrowserContextGrantPermissionsOptions { Origin = gateway.GatewayUrl.GetLeftPart(UriPartial.Authority) });
        await browser.Page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Copy details" }).ClickAsync();
        await Assertions.Expect(browser.Page.Locator("#copied")).ToHaveTextAsync("Copied.", new LocatorAssertionsToHaveTextOptions { Timeout = BrowserSession.StepTimeoutMs });
        string copied = await browser.Page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Contains($"Correlation ID: {correlationId}", copied);
        Assert.Contains("Reason: NoCertificate", copied);
        Assert.Contains($"App: {GatewayHarness.AppName}", copied);

        // On a phone: nothing wider than the screen, the message first, still accessible.
        await browser.Page.SetViewportSizeAsync(360, 740);
        await browser.Page.ReloadAsync();
        Assert.True(await browser.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
            "The block page scrolls sideways on a 360 px wide screen.");
        var box = await browser.Page.Locator(".message").BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.True(box.Y + box.Height < 740, "The block message is not on the first screen of a phone.");
        await AssertAccessibleAsync(browser.Page);
        await browser.ScreenshotAsync("block-page-phone");
    }

    /// <summary>
    /// Chromium never offers an expired certificate, so the gateway sees none: the page says so and tells the person
    /// that an installed certificate may have expired (a client that does send it gets "expired on": BlockPageTests).
    /// </summary>
    [BrowserFact]
    public async Task An_expired_certificate_is_not_offered_by_Chromium_and_the_block_page_says_to_check_its_expiry()
    {
        await using GatewayHarness gateway = await StartGatewayAsync();
        await using BrowserSession browser = BrowserSession.Create("expired");
        ImportClientCertificate(browser, _fixture.LabFile("expired-client.pfx"));
        TrustGateway(browser, gateway);
        await browser.LaunchAsync(_fixture.Playwright, gateway.GatewayUrl);

        IResponse response = await browser.OpenAsync(gateway.GatewayUrl);

        Assert.Equal(403, response.Status);
        await AssertBlockPageAsync(browser.Page, (await response.HeaderValueAsync("x-casb-correlation-id"))!, "Your browser did not offer a device certificate.");
        Assert.Contains("it may have expired", await browser.Page.Locator(".reason-text").InnerTextAsync());
        ActivityRecord record = (await gateway.WaitForActivityAsync(1)).First();
        Assert.Null(record.CertificateThumbprint);
        Assert.Equal("NoCertificate", record.CertificateStatus);
        await browser.ScreenshotAsync("block-page-expired");
    }

    [BrowserFact]
    public async Task A_revoked_certificate_gets_the_block_page()
    {
        await using GatewayHarness gateway = await StartGatewayAsync();
        await using BrowserSession browser = BrowserSession.Create("revoked");
        ImportClientCertificate(browser, _fixture.LabFile("revoked-client.pfx"));
        TrustGateway(browser, gateway);
        await browser.LaunchAsync(_fixture.Playwright, gateway.GatewayUrl);

        IResponse response = await browser.OpenAsync(gateway.GatewayUrl);

        Assert.Equal(403, response.Status);
        await AssertBlockPageAsync(browser.Page, (await response.HeaderValueAsync("x-casb-correlation-id"))!, "Your device certificate has been revoked");
        Assert.Equal(_fixture.Pki.RevokedClient.Subject, await browser.Page.Locator(".certificate-subject").InnerTextAsync());
        Assert.Equal(
            _fixture.Pki.RevokedClient.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            await browser.Page.Locator(".certificate-not-after").InnerTextAsync());
        await AssertAccessibleAsync(browser.Page);
        await browser.ScreenshotAsync("block-page-revoked");
    }

    [BrowserFact]
    public async Task A_legacy_RC2_PFX_imported_with_the_cmdlet_is_presented_by_the_browser()
    {
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        await using GatewayHarness gateway = await StartGatewayAsync(Path.Combine(fixtures, "legacy-rc2-40-ca.pem"));
        await using BrowserSession browser = BrowserSession.Create("legacy");
        ImportClientCertificate(browser, Path.Combine(fixtures, "legacy-rc2-40.pfx"), "Microsoft");
        TrustGateway(browser, gateway);
        await browser.LaunchAsync(_fixture.Playwright, gateway.GatewayUrl);

        IResponse response = await browser.OpenAsync(gateway.GatewayUrl);

        Assert.Equal(200, response.Status);
        Assert.Equal(SampleAppHost.Banner, await browser.Page.Locator("h1").InnerTextAsync());
        ActivityRecord record = (await gateway.WaitForActivityAsync(1)).First();
        Assert.Equal(X509CertificateLoader.LoadCertificateFromFile(Path.Combine(fixtures, "legacy-rc2-40-client.pem")).Subject, record.CertificateSubject);
    }

    [BrowserFact]
    public async Task A_policy_changed_while_the_browser_is_open_takes_effect_on_the_next_page_load()
    {
        await using GatewayHarness gateway = await StartGatewayAsync();
        await using BrowserSession browser = BrowserSession.Create("reload");
        TrustGateway(browser, gateway);
        await browser.LaunchAsync(_fixture.Playwright, gateway.GatewayUrl);
        Assert.Equal(403, (await browser.OpenAsync(gateway.GatewayUrl)).Status);
        Assert.Equal(BlockMessage, await browser.Page.Locator(".message").InnerTextAsync());

        _fixture.Run("Set-CasbAccessPolicy -Name 'Require certificate' -BlockMessage 'Install the Contoso certificate first.' -StorePath $store",
            new Dictionary<string, object?> { ["store"] = gateway.StorePath });
        await WaitForRevisionAsync(gateway);
        IResponse changed = await browser.OpenAsync(gateway.GatewayUrl);
        Assert.Equal(403, changed.Status);
        Assert.Equal("Install the Contoso certificate first.", await browser.Page.Locator(".message").InnerTextAsync());

        _fixture.Run("Disable-CasbAccessPolicy -Name 'Require certificate' -StorePath $store", new Dictionary<string, object?> { ["store"] = gateway.StorePath });
        await WaitForRevisionAsync(gateway);
        IResponse allowed = await browser.OpenAsync(gateway.GatewayUrl);
        Assert.Equal(200, allowed.Status);
        Assert.Equal(SampleAppHost.Banner, await browser.Page.Locator("h1").InnerTextAsync());
    }

    /// <summary>
    /// A second opinion from outside the browser: Playwright's own ClientCertificates option does the TLS in its Node
    /// driver, not in Chromium, so it checks the gateway with another TLS stack and the same PFX.
    /// </summary>
    [BrowserFact]
    public async Task Playwright_client_certificates_through_its_driver_see_the_same_answers()
    {
        await using GatewayHarness gateway = await StartGatewayAsync();
        string origin = gateway.GatewayUrl.GetLeftPart(UriPartial.Authority);
        await using IAPIRequestContext withCertificate = await _fixture.Playwright.APIRequest.NewContextAsync(new APIRequestNewContextOptions
        {
            IgnoreHTTPSErrors = true,
            Timeout = BrowserSession.StepTimeoutMs,
            ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept"] = "text/html", ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36" },
            ClientCertificates = new[] { new ClientCertificate { Origin = origin, PfxPath = _fixture.LabFile("client.pfx"), Passphrase = BrowserFixture.Password } },
        });
        IAPIResponse allowed = await withCertificate.GetAsync(gateway.GatewayUrl.ToString());
        Assert.Equal(200, allowed.Status);
        Assert.Contains(SampleAppHost.Banner, await allowed.TextAsync());

        await using IAPIRequestContext withExpired = await _fixture.Playwright.APIRequest.NewContextAsync(new APIRequestNewContextOptions
        {
            IgnoreHTTPSErrors = true,
            Timeout = BrowserSession.StepTimeoutMs,
            ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept"] = "application/json", ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36" },
            ClientCertificates = new[] { new ClientCertificate { Origin = origin, PfxPath = _fixture.LabFile("expired-client.pfx"), Passphrase = BrowserFixture.Password } },
        });
        IAPIResponse blocked = await withExpired.GetAsync(gateway.GatewayUrl.ToString());
        Assert.Equal(403, blocked.Status);
        Assert.Contains("\"reason\":\"Expired\"", await blocked.TextAsync());
    }

    /// <summary>The seed's set-up, done with the admin's cmdlets: trusted CAs and CRL, App Control for everyone, the access policy.</summary>
    private Task<GatewayHarness> StartGatewayAsync(string? extraRoot = null) =>
        GatewayHarness.StartAsync(beforeStart: store => _fixture.Run(
            """
            Add-CasbTrustedRoot -Path $roots -StorePath $store | Out-Null
            Add-CasbCertificateRevocationList -Path $crl -StorePath $store | Out-Null
            New-CasbConditionalAccessPolicy -Name 'Vendors via App Control' -IncludeUser All -App $app -SessionControl AppControl -AppControlMode UseCustomPolicy -StorePath $store | Out-Null
            New-CasbAccessPolicy -Name 'Require certificate' -App $app -DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage $message -StorePath $store | Out-Null
            """,
            new Dictionary<string, object?>
            {
                ["store"] = store.Path,
                ["roots"] = new[] { _fixture.LabFile("root-ca.pem"), _fixture.LabFile("intermediate-ca.pem") }.Concat(extraRoot is null ? [] : [extraRoot]).ToArray(),
                ["crl"] = _fixture.LabFile("intermediate-ca.crl"),
                ["app"] = GatewayHarness.AppName,
                ["message"] = BlockMessage,
            }));

    /// <summary>The vendor's step: the PFX into the browser's NSS database, with the new cmdlet.</summary>
    private void ImportClientCertificate(BrowserSession browser, string pfx, string password = BrowserFixture.Password)
    {
        IReadOnlyList<object> imported = _fixture.Run(
            "Import-CasbClientCertificate -FilePath $pfx -Password (ConvertTo-SecureString $password -AsPlainText -Force) -NssDatabase $db",
            new Dictionary<string, object?> { ["pfx"] = pfx, ["password"] = password, ["db"] = browser.NssDatabase });
        Assert.Single(imported);
    }

    /// <summary>The browser trusts the gateway's self-signed server certificate: imported with -TrustServerAuthentication.</summary>
    private void TrustGateway(BrowserSession browser, GatewayHarness gateway)
    {
        using X509Certificate2 server = X509CertificateLoader.LoadPkcs12FromFile(ServerCertificate.DefaultPath(gateway.StorePath), null);
        string pem = Path.Combine(browser.Home, "gateway.pem");
        File.WriteAllText(pem, server.ExportCertificatePem());
        _fixture.Run("Import-CasbClientCertificate -FilePath $pem -NssDatabase $db -TrustServerAuthentication | Out-Null",
            new Dictionary<string, object?> { ["pem"] = pem, ["db"] = browser.NssDatabase });
    }

    private static async Task AssertBlockPageAsync(IPage page, string correlationId, string reason)
    {
        Assert.Equal("Access blocked", await page.Locator("h1").InnerTextAsync());
        Assert.Equal(BlockMessage, await page.Locator(".message").InnerTextAsync());
        Assert.Equal(GatewayHarness.AppName, await page.Locator(".app").InnerTextAsync());
        Assert.Equal(correlationId, await page.Locator(".correlation-id").InnerTextAsync());
        Assert.StartsWith(reason, await page.Locator(".reason-text").InnerTextAsync());
        string text = await page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain("Require certificate", text);
        Assert.DoesNotContain("Casb Lab Root", text);
    }

    private static async Task AssertAccessibleAsync(IPage page)
    {
        AxeResult result = await page.RunAxe();
        string violations = string.Join("\n", result.Violations.Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => string.Join(" ", n.Target)))})"));
        Assert.True(result.Violations.Length == 0, "Accessibility violations:\n" + violations);
        Assert.NotEmpty(result.Passes);
    }

    private static async Task WaitForRevisionAsync(GatewayHarness gateway)
    {
        long revision = new CasbStore(gateway.StorePath).Load().Revision;
        using HttpClient client = gateway.CreateClient();
        for (int i = 0; i < 200; i++)
        {
            string ready = await client.GetStringAsync("/readyz");
            if (Regex.IsMatch(ready, $@"\brevision {revision}\b"))
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"The gateway did not load revision {revision} within 10 s.");
    }

    private static async Task<(long WithCertificate, long Without)> HandshakesAsync(GatewayHarness gateway)
    {
        using HttpClient client = gateway.CreateClient();
        string metrics = await client.GetStringAsync("/metrics");
        long Value(string presence) => HandshakeLine().Matches(metrics)
            .Where(m => m.Groups["presence"].Value == presence)
            .Sum(m => (long)double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
        return (Value("present"), Value("absent"));
    }

    [GeneratedRegex("""^casb_gateway_tls_handshakes(?:_total)?\{[^}]*client_certificate="(?<presence>\w+)"[^}]*\} (?<value>[0-9.e+]+)""", RegexOptions.Multiline)]
    private static partial Regex HandshakeLine();
}
