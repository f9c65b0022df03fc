using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Gateway;

/// <summary>The block page and JSON answer, from the real engine over real TLS: why the device was not recognized.</summary>
public sealed partial class BlockPageTests : IClassFixture<LabPkiFixture>
{
    private const string Browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    private readonly LabPki _pki;

    public BlockPageTests(LabPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    [Fact]
    public async Task A_blocked_browser_learns_why_and_a_blocked_API_client_gets_the_same_reason_code()
    {
        await using GatewayHarness harness = await StartAsync();

        (HttpStatusCode status, string html, string correlationId) = await GetAsync(harness, _pki.ExpiredClient, "text/html");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("<p class=\"message\">Use a company device.</p>", html);
        Assert.Contains($"Your device certificate expired on {BlockReasonDate(_pki.ExpiredClient.NotAfter)}.", html);
        Assert.Contains("<dd class=\"certificate-subject\">CN=Expired Device, O=Fabrikam</dd>", html);
        Assert.Contains($"<dd class=\"correlation-id\">{correlationId}</dd>", html);
        Assert.Contains("Reason: Expired", html);
        Assert.DoesNotContain("Require certificate", html); // the policy's name is the admin's business
        Assert.DoesNotContain("Casb Lab", html); // nor are the trusted roots

        (_, string json, _) = await GetAsync(harness, _pki.ExpiredClient, "application/json");
        using JsonDocument document = JsonDocument.Parse(json);
        Assert.Equal("Expired", document.RootElement.GetProperty("reason").GetString());

        (_, string none, _) = await GetAsync(harness, null, "application/json");
        using JsonDocument noneDocument = JsonDocument.Parse(none);
        Assert.Equal("NoCertificate", noneDocument.RootElement.GetProperty("reason").GetString());
        Assert.Equal("Use a company device.", noneDocument.RootElement.GetProperty("message").GetString());

        (_, string untrusted, _) = await GetAsync(harness, _pki.UntrustedClient, "text/html");
        Assert.Contains("was not issued by an authority your organization trusts", untrusted);

        (_, string revoked, _) = await GetAsync(harness, _pki.RevokedClient, "text/html");
        Assert.Contains("has been revoked", revoked);

        (_, string wrongUse, _) = await GetAsync(harness, _pki.ServerAuthOnlyClient, "text/html");
        Assert.Contains("not meant for signing in to apps", wrongUse);
    }

    [Fact]
    public async Task With_BlockPageDetail_None_neither_the_page_nor_the_JSON_says_why()
    {
        await using GatewayHarness harness = await StartAsync(c => c.Settings.BlockPageDetail = BlockPageDetail.None);

        (HttpStatusCode status, string html, _) = await GetAsync(harness, _pki.ExpiredClient, "text/html");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Use a company device.", html);
        Assert.DoesNotContain("expired", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("CN=Expired Device", html);

        (_, string json, _) = await GetAsync(harness, _pki.ExpiredClient, "application/json");
        using JsonDocument document = JsonDocument.Parse(json);
        Assert.False(document.RootElement.TryGetProperty("reason", out _));
    }

    [Fact]
    public async Task A_block_the_certificate_did_not_decide_says_nothing_about_the_certificate()
    {
        await using GatewayHarness harness = await StartAsync(c =>
        {
            c.AccessPolicies.Clear();
            c.Settings.DefaultAction = DefaultAction.Block;
        });

        (HttpStatusCode status, string html, _) = await GetAsync(harness, null, "text/html");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.DoesNotContain("id=\"why\"", html);
        Assert.DoesNotContain("certificate", WhyText().Replace(html, ""), StringComparison.OrdinalIgnoreCase);
    }

    private Task<GatewayHarness> StartAsync(Action<CasbConfiguration>? more = null) =>
        GatewayHarness.StartAsync(c =>
        {
            c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Root, DateTimeOffset.UtcNow));
            c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Intermediate, DateTimeOffset.UtcNow));
            RevocationLists.Add(c, CertificateRevocationList.Parse(_pki.IntermediateCrl), false, DateTimeOffset.UtcNow);
            SeedPolicies.AddRequireCertificate(c);
            more?.Invoke(c);
        });

    private static async Task<(HttpStatusCode Status, string Body, string CorrelationId)> GetAsync(
        GatewayHarness harness, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, string accept)
    {
        using HttpClient client = harness.CreateClient(certificate);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("User-Agent", Browser);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using HttpResponseMessage response = await client.SendAsync(request);
        string correlationId = response.Headers.TryGetValues("X-Casb-Correlation-Id", out var values) ? values.Single() : "";
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), correlationId);
    }

    private static string BlockReasonDate(DateTime notAfter) =>
        notAfter.ToUniversalTime().ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture);

    // The page's fixed help text mentions no certificate either; the copy block and scripts are stripped to be sure.
    [GeneratedRegex("<textarea.*?</textarea>|<script>.*?</script>", RegexOptions.Singleline)]
    private static partial Regex WhyText();
}
