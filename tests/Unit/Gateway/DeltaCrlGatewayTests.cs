using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CasbCore.Activity;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Certificates;
using CasbModule.Tests.Cmdlets;
using CasbModule.Types;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// An AD CS style complete CRL with a delta CRL, end to end: what a blocked user sees, what the activity log records and
/// what Test-CasbAccess says, from the one validator.
/// </summary>
public sealed class DeltaCrlGatewayTests : IClassFixture<LabPkiFixture>
{
    private const string Browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    private const string DeltaUrl = "http://127.0.0.1:9/issuing+.crl";
    private readonly LabPki _pki;

    public DeltaCrlGatewayTests(LabPkiFixture fixture) => _pki = fixture.Pki;

    [Fact]
    public async Task A_device_revoked_only_in_the_delta_CRL_is_blocked_as_revoked_by_the_gateway_and_by_Test_CasbAccess()
    {
        await using GatewayHarness harness = await StartAsync(withDelta: true);

        (HttpStatusCode status, string html) = await GetAsync(harness, _pki.Client, "text/html");
        (_, string json) = await GetAsync(harness, _pki.Client, "application/json");
        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(2);
        CasbAccessDecision whatIf = TestAccess(harness, _pki.Client);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("has been revoked", html);
        Assert.Contains("Reason: Revoked", html);
        using (JsonDocument document = JsonDocument.Parse(json))
        {
            Assert.Equal("Revoked", document.RootElement.GetProperty("reason").GetString());
        }

        Assert.All(records, r => Assert.Equal(("Block", "Revoked"), (r.Action, r.CertificateStatus)));
        Assert.Equal(AccessAction.Block, whatIf.Action);
        Assert.Equal("Revoked", whatIf.CertificateStatus);
        CertificateFailure failure = Assert.Single(whatIf.Certificate!.Failures);
        Assert.Contains("reason KeyCompromise", failure.Message);
        Assert.Contains("delta CRL", failure.Message);
    }

    [Fact]
    public async Task A_complete_CRL_that_announces_a_delta_without_one_fails_closed_with_the_reason()
    {
        await using GatewayHarness harness = await StartAsync(withDelta: false);

        (HttpStatusCode status, string html) = await GetAsync(harness, _pki.Client, "text/html");
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        CasbAccessDecision whatIf = TestAccess(harness, _pki.Client);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Reason: RevocationUnknown", html);
        Assert.Equal(("Block", "RevocationUnknown"), (record.Action, record.CertificateStatus));
        Assert.Equal("RevocationUnknown", whatIf.CertificateStatus);
        Assert.Contains($"announces a delta CRL (Freshest CRL at {DeltaUrl})", Assert.Single(whatIf.Certificate!.Failures).Message);
    }

    [Fact]
    public async Task A_device_revoked_only_in_the_delta_fetched_from_the_Freshest_CRL_URL_is_blocked_and_another_device_passes()
    {
        // Nothing stored completes the base: the gateway fetches the delta its Freshest CRL names, as from an AD CS web server.
        using var server = new LoopbackCrlServer();
        server.Content["/issuing+.crl"] = DeltaCrlBuilder.Delta(_pki.IntermediateWithKey, 11, 10, [CrlEntry.Of(_pki.Client)]);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 good = _pki.IssueClient("CN=Delta Good Device", "delta-good@contoso.com", now.AddDays(-1), now.AddDays(30));
        await using GatewayHarness harness = await StartAsync(withDelta: false, deltaUrl: server.Url("/issuing+.crl"));

        (HttpStatusCode status, string html) = await GetAsync(harness, _pki.Client, "text/html");
        (HttpStatusCode goodStatus, _) = await GetAsync(harness, good, "text/html");
        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(2);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("has been revoked", html);
        Assert.Contains("Reason: Revoked", html);
        Assert.Equal(HttpStatusCode.OK, goodStatus);
        Assert.Equal(
            new (string, string?)[] { ("Allow", "Valid"), ("Block", "Revoked") },
            records.Select(r => (r.Action, r.CertificateStatus)).Order());
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task A_device_whose_certificate_announces_its_delta_CRL_only_at_ldap_is_blocked_as_RevocationUnknown_by_the_gateway_and_by_Test_CasbAccess()
    {
        // The stored complete CRL names no delta; the certificate does, where the gateway cannot fetch it (AD CS's LDAP).
        using X509Certificate2 device = DeltaCrlBuilder.ClientWithFreshestCrl(_pki, null, CertificateFreshestCrlTests.LdapDelta, "CN=Ldap Delta Device");
        await using GatewayHarness harness = await StartAsync(withDelta: false, deltaUrl: null);

        (HttpStatusCode status, string html) = await GetAsync(harness, device, "text/html");
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        CasbAccessDecision whatIf = TestAccess(harness, device);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Reason: RevocationUnknown", html);
        Assert.Equal(("Block", "RevocationUnknown"), (record.Action, record.CertificateStatus));
        Assert.Equal(AccessAction.Block, whatIf.Action);
        Assert.Equal("RevocationUnknown", whatIf.CertificateStatus);
        Assert.Contains("announces a delta CRL", Assert.Single(whatIf.Certificate!.Failures).Message);
    }

    private Task<GatewayHarness> StartAsync(bool withDelta, string? deltaUrl = DeltaUrl) =>
        GatewayHarness.StartAsync(c =>
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            c.Settings.RevocationMode = RevocationCheckMode.Required;
            c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Root, now));
            c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Intermediate, now));
            RevocationLists.Add(c, CertificateRevocationList.Parse(_pki.RootCrl), false, now);
            RevocationLists.Add(c, CertificateRevocationList.Parse(DeltaCrlBuilder.Base(_pki.IntermediateWithKey, 10, [], deltaUrl)), false, now);
            if (withDelta)
            {
                RevocationLists.Add(
                    c, CertificateRevocationList.Parse(DeltaCrlBuilder.Delta(_pki.IntermediateWithKey, 11, 10, [CrlEntry.Of(_pki.Client)])), false, now);
            }

            SeedPolicies.AddRequireCertificate(c);
        });

    private static CasbAccessDecision TestAccess(GatewayHarness harness, X509Certificate2 certificate)
    {
        using var host = new PowerShellHost();
        (Collection<PSObject> output, IReadOnlyList<ErrorRecord> errors) = host.Run(
            "Test-CasbAccess -StorePath $s -App $a -Certificate $c -UserAgent $u",
            new Dictionary<string, object?> { ["s"] = harness.StorePath, ["a"] = GatewayHarness.AppName, ["c"] = certificate, ["u"] = Browser });
        Assert.Empty(errors);
        return Assert.IsType<CasbAccessDecision>(Assert.Single(output).BaseObject);
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(GatewayHarness harness, X509Certificate2 certificate, string accept)
    {
        using HttpClient client = harness.CreateClient(certificate);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("User-Agent", Browser);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using HttpResponseMessage response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
