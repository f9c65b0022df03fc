using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Certificates;
using CasbModule.Tests.Cmdlets;
using CasbModule.Types;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A CRL without nextUpdate forced into the store must not stand in for the CA's distribution point forever: once the CRL
/// cache period after its thisUpdate has passed, a device the CA revoked since is blocked, by the gateway and by
/// Test-CasbAccess alike.
/// </summary>
public sealed class CrlWithoutNextUpdateGatewayTests : IClassFixture<LabPkiFixture>
{
    private const string Browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    private readonly LabPki _pki;

    public CrlWithoutNextUpdateGatewayTests(LabPkiFixture fixture) => _pki = fixture.Pki;

    [Fact]
    public async Task A_device_revoked_at_the_CA_after_a_stored_CRL_without_nextUpdate_is_blocked_once_its_cache_period_has_passed()
    {
        using var server = new LoopbackCrlServer();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 device = _pki.IssueClient("CN=Revoked Later", "revoked-later@contoso.com", now.AddDays(-1), now.AddDays(30), server.Url("/issuing.crl"));
        server.Content["/issuing.crl"] = TestConfigurations.IntermediateCrl(_pki, 21, now.AddDays(7), now.AddMinutes(-1), device);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.Settings.RevocationMode = RevocationCheckMode.Required;
            c.Settings.CrlCacheMinutes = 60;
            c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Root, now));
            c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Intermediate, now));
            RevocationLists.Add(c, CertificateRevocationList.Parse(_pki.RootCrl), false, now);
            // Published two hours ago without nextUpdate, silent about the device; -Force stored it.
            byte[] old = DeltaCrlBuilder.Base(_pki.IntermediateWithKey, 20, [], thisUpdate: now.AddHours(-2), withoutNextUpdate: true);
            RevocationLists.Add(c, CertificateRevocationList.Parse(old), true, now);
            SeedPolicies.AddRequireCertificate(c);
        });

        using HttpClient client = harness.CreateClient(device);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("User-Agent", Browser);
        request.Headers.TryAddWithoutValidation("Accept", "text/html");
        using HttpResponseMessage response = await client.SendAsync(request);
        string html = await response.Content.ReadAsStringAsync();
        CasbAccessDecision whatIf = TestAccess(harness, device);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("has been revoked", html);
        Assert.Contains("Reason: Revoked", html);
        Assert.Equal(AccessAction.Block, whatIf.Action);
        Assert.Equal("Revoked", whatIf.CertificateStatus);
        Assert.Contains(server.Url("/issuing.crl"), Assert.Single(whatIf.Certificate!.Failures).Message);
    }

    private static CasbAccessDecision TestAccess(GatewayHarness harness, X509Certificate2 certificate)
    {
        using var host = new PowerShellHost();
        (Collection<PSObject> output, IReadOnlyList<ErrorRecord> errors) = host.Run(
            "Test-CasbAccess -StorePath $s -App $a -Certificate $c -UserAgent $u",
            new Dictionary<string, object?> { ["s"] = harness.StorePath, ["a"] = GatewayHarness.AppName, ["c"] = certificate, ["u"] = Browser });
        Assert.Empty(errors);
        return Assert.IsType<CasbAccessDecision>(Assert.Single(output).BaseObject);
    }
}
