using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Activity;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;
using CasbModule.Tests.Certificates;
using CasbModule.Tests.Cmdlets;
using CasbModule.Types;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Once a CRL the process accepted listed a certificate for a reason other than certificateHold, a real gateway keeps
/// blocking it as revoked whatever newer CRL of the CA comes after, through each entrance: a download from the
/// distribution point, a delta of a later base, Add-CasbCertificateRevocationList and Import-CasbConfiguration (the
/// running gateway reloading the store). Only Remove-CasbCertificateRevocationList takes it back; a lifted hold passes.
/// What is asserted is what the user and the admin see: the status and block page, the activity record, Test-CasbAccess.
/// </summary>
public sealed class RevocationNeverForgottenGatewayTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private const string Browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

    /// <summary>
    /// How long the first CRL a test serves stays current: past its nextUpdate the CRL cache's copy is done, and the next check
    /// downloads the newer CRL; no clock to move, no cache to reach into. Long enough for the first requests on a CI machine
    /// under load (they must all be decided on the first CRL); each test waits it out before it polls for the newer one.
    /// </summary>
    private static readonly TimeSpan FirstCrlLifetime = TimeSpan.FromSeconds(8);

    private readonly LabPki _pki;
    private readonly List<X509Certificate2> _devices = [];
    private readonly string _files = Directory.CreateTempSubdirectory("casb-crl-files-").FullName;

    public RevocationNeverForgottenGatewayTests(LabPkiFixture fixture) => _pki = fixture.Pki;

    /// <summary>Waits until the first CRL is past its nextUpdate, so the poll that follows has its whole 10 s for the newer one.</summary>
    private static async Task PastAsync(DateTimeOffset nextUpdate)
    {
        TimeSpan left = nextUpdate - DateTimeOffset.UtcNow;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }
    }

    public void Dispose()
    {
        _devices.ForEach(d => d.Dispose());
        Directory.Delete(_files, recursive: true);
    }

    [Theory]
    [InlineData(RevocationCheckMode.Required)]
    [InlineData(RevocationCheckMode.Optional)]
    public async Task A_CA_that_drops_a_key_compromise_entry_from_its_next_CRL_does_not_unblock_the_device_and_a_lifted_hold_passes(RevocationCheckMode mode)
    {
        using var server = new LoopbackCrlServer();
        string url = server.Url("/issuing.crl");
        X509Certificate2 compromised = Device("Compromised", url);
        X509Certificate2 held = Device("Held", url);
        X509Certificate2 later = Device("Revoked Later", url);
        await using GatewayHarness harness = await StartAsync(mode);

        DateTimeOffset firstNextUpdate = DateTimeOffset.UtcNow + FirstCrlLifetime;
        Publish(server, "/issuing.crl", IntermediateCrl(20, firstNextUpdate, CrlEntry.Of(compromised), CrlEntry.Of(held, X509RevocationReason.CertificateHold)));
        await AssertRevokedAsync(harness, compromised);
        await AssertRevokedAsync(harness, held);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(harness, later)).Status);

        // CRL 21 forgets the key compromise, lifts the hold and revokes another device.
        Publish(server, "/issuing.crl", IntermediateCrl(21, DateTimeOffset.UtcNow.AddDays(7), CrlEntry.Of(later)));
        await PastAsync(firstNextUpdate);
        Assert.True(await Poll.Eventually(async () => (await GetAsync(harness, later)).Status == HttpStatusCode.Forbidden), "CRL 21 never reached the gateway");
        Assert.Equal(2, server.Requests);

        await AssertRevokedAsync(harness, compromised);
        await AssertRevokedAsync(harness, later);
        // A new revision's validator starts with no cached result: it reads only CRL 21, and still blocks the device.
        await ChangeRevisionAsync(harness);
        await AssertRevokedAsync(harness, compromised);
        (HttpStatusCode heldStatus, string heldBody) = await GetAsync(harness, held);
        Assert.Equal(HttpStatusCode.OK, heldStatus);
        Assert.DoesNotContain("revoked", heldBody, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(("Allow", "Valid"), Newest(await RecordsAsync(harness, held, 2)));

        // In this process Test-CasbAccess shares the gateway's CRL cache; a PowerShell session of its own never saw CRL 20.
        CasbAccessDecision whatIf = TestAccess(harness, compromised);
        Assert.Equal((AccessAction.Block, "Revoked"), (whatIf.Action, whatIf.CertificateStatus));
        Assert.Contains("reason KeyCompromise", Assert.Single(whatIf.Certificate!.Failures).Message);
        CasbAccessDecision heldWhatIf = TestAccess(harness, held);
        Assert.Equal((AccessAction.Allow, "Valid"), (heldWhatIf.Action, heldWhatIf.CertificateStatus));
    }

    [Theory]
    [InlineData(RevocationCheckMode.Required)]
    [InlineData(RevocationCheckMode.Optional)]
    public async Task A_device_a_delta_CRL_revoked_stays_blocked_after_the_delta_of_a_later_base_that_does_not_list_it(RevocationCheckMode mode)
    {
        // AD CS style at the distribution point: complete CRL 10 with delta 11, then complete CRL 12 (which forgot the
        // delta's entry) with delta 13 of base 12, which lists only what changed since 12.
        using var server = new LoopbackCrlServer();
        string url = server.Url("/issuing.crl");
        string deltaUrl = server.Url("/issuing+.crl");
        X509Certificate2 compromised = Device("Delta Compromised", url);
        X509Certificate2 later = Device("Delta Revoked Later", url);
        X509Certificate2 good = Device("Delta Good", url);
        await using GatewayHarness harness = await StartAsync(mode);

        DateTimeOffset firstNextUpdate = DateTimeOffset.UtcNow + FirstCrlLifetime;
        Publish(server, "/issuing.crl", DeltaCrlBuilder.Base(_pki.IntermediateWithKey, 10, [], deltaUrl, nextUpdate: firstNextUpdate));
        Publish(server, "/issuing+.crl", DeltaCrlBuilder.Delta(_pki.IntermediateWithKey, 11, 10, [CrlEntry.Of(compromised)], nextUpdate: firstNextUpdate));
        await AssertRevokedAsync(harness, compromised);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(harness, later)).Status);

        Publish(server, "/issuing.crl", DeltaCrlBuilder.Base(_pki.IntermediateWithKey, 12, [], deltaUrl, nextUpdate: DateTimeOffset.UtcNow.AddDays(7)));
        Publish(server, "/issuing+.crl", DeltaCrlBuilder.Delta(_pki.IntermediateWithKey, 13, 12, [CrlEntry.Of(later)], nextUpdate: DateTimeOffset.UtcNow.AddDays(1)));
        await PastAsync(firstNextUpdate);
        Assert.True(await Poll.Eventually(async () => (await GetAsync(harness, later)).Status == HttpStatusCode.Forbidden), "delta 13 never reached the gateway");

        await AssertRevokedAsync(harness, compromised);
        await AssertRevokedAsync(harness, later);
        await ChangeRevisionAsync(harness);
        await AssertRevokedAsync(harness, compromised);
        // Complete CRL 12 and delta 13 were both taken in: together they vouch for a device neither lists, Required or not.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(harness, good)).Status);
        Assert.Equal(4, server.Requests);

        CasbAccessDecision whatIf = TestAccess(harness, compromised);
        Assert.Equal((AccessAction.Block, "Revoked"), (whatIf.Action, whatIf.CertificateStatus));
        Assert.Contains("delta CRL", Assert.Single(whatIf.Certificate!.Failures).Message);
    }

    [Theory]
    [InlineData(RevocationCheckMode.Required)]
    [InlineData(RevocationCheckMode.Optional)]
    public async Task Adding_the_CAs_newer_CRL_that_drops_the_device_keeps_it_blocked_until_the_admin_removes_the_CAs_CRLs(RevocationCheckMode mode)
    {
        X509Certificate2 compromised = Device("Store Compromised", null);
        X509Certificate2 later = Device("Store Revoked Later", null);
        await using GatewayHarness harness = await StartAsync(mode, IntermediateCrl(4, DateTimeOffset.UtcNow.AddDays(7), CrlEntry.Of(compromised)));
        await AssertRevokedAsync(harness, compromised);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(harness, later)).Status);

        string five = Path.Combine(_files, "issuing-5.crl");
        await File.WriteAllBytesAsync(five, IntermediateCrl(5, DateTimeOffset.UtcNow.AddDays(7), CrlEntry.Of(later)));
        Run(harness, "Add-CasbCertificateRevocationList -StorePath $s -Path $p", new() { ["p"] = five });
        await WaitForReloadAsync(harness);

        await AssertRevokedAsync(harness, later); // the gateway serves CRL 5
        await AssertRevokedAsync(harness, compromised);
        CasbAccessDecision whatIf = TestAccess(harness, compromised);
        Assert.Equal((AccessAction.Block, "Revoked"), (whatIf.Action, whatIf.CertificateStatus));
        Assert.Contains("reason KeyCompromise", Assert.Single(whatIf.Certificate!.Failures).Message);

        // The way back for a mistaken revocation: the CA's CRLs go, and what they carried with them.
        Run(harness, "Get-CasbCertificateRevocationList -StorePath $s | Where-Object IssuerThumbprint -eq $t | Remove-CasbCertificateRevocationList -Confirm:$false",
            new() { ["t"] = _pki.Intermediate.Thumbprint });
        Assert.DoesNotContain(harness.Store.Load().RevocationLists, e => e.IssuerThumbprint.Equals(_pki.Intermediate.Thumbprint, StringComparison.OrdinalIgnoreCase));
        await WaitForReloadAsync(harness);

        // No CRL of the CA is left: the status is unknown, which Required refuses and Optional lets through
        // (docs/certificate-validation.md, Revocation).
        (HttpStatusCode status, string html) = await GetAsync(harness, compromised);
        ActivityRecord record = (await RecordsAsync(harness, compromised, 3))[0];
        CasbAccessDecision after = TestAccess(harness, compromised);
        if (mode == RevocationCheckMode.Required)
        {
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("Reason: RevocationUnknown", html);
            Assert.Equal(("Block", "RevocationUnknown"), (record.Action, record.CertificateStatus));
            Assert.Equal((AccessAction.Block, "RevocationUnknown"), (after.Action, after.CertificateStatus));
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(("Allow", "Valid"), (record.Action, record.CertificateStatus));
            Assert.Equal((AccessAction.Allow, "Valid"), (after.Action, after.CertificateStatus));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Importing_a_file_that_holds_the_CAs_newer_CRL_keeps_the_device_blocked(bool replace)
    {
        X509Certificate2 compromised = Device($"Import Compromised {replace}", null);
        X509Certificate2 later = Device($"Import Revoked Later {replace}", null);
        await using GatewayHarness harness = await StartAsync(RevocationCheckMode.Optional, IntermediateCrl(4, DateTimeOffset.UtcNow.AddDays(7), CrlEntry.Of(compromised)));
        await AssertRevokedAsync(harness, compromised);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(harness, later)).Status);

        // The file is this store as a store built elsewhere would hold it: the CA's CRL 5 only, which no longer lists the device.
        string file = Path.Combine(_files, $"casb-{replace}.json");
        Run(harness, "Export-CasbConfiguration -StorePath $s -Path $p", new() { ["p"] = file });
        CasbConfiguration exported = CasbStore.Parse(await File.ReadAllBytesAsync(file), file);
        RevocationListEntry four = Assert.Single(exported.RevocationLists, e => e.IssuerThumbprint.Equals(_pki.Intermediate.Thumbprint, StringComparison.OrdinalIgnoreCase));
        RevocationLists.Remove(exported, four.Id);
        RevocationLists.Add(exported, CertificateRevocationList.Parse(IntermediateCrl(5, DateTimeOffset.UtcNow.AddDays(7), CrlEntry.Of(later))), false, DateTimeOffset.UtcNow);
        await File.WriteAllBytesAsync(file, CasbStore.Serialize(exported));

        Run(harness, replace ? "Import-CasbConfiguration -StorePath $s -Path $p -Replace -Confirm:$false" : "Import-CasbConfiguration -StorePath $s -Path $p -Confirm:$false", new() { ["p"] = file });
        await WaitForReloadAsync(harness);

        await AssertRevokedAsync(harness, later); // the gateway serves CRL 5
        await AssertRevokedAsync(harness, compromised);
        CasbAccessDecision whatIf = TestAccess(harness, compromised);
        Assert.Equal((AccessAction.Block, "Revoked"), (whatIf.Action, whatIf.CertificateStatus));
        Assert.Contains("reason KeyCompromise", Assert.Single(whatIf.Certificate!.Failures).Message);
    }

    private X509Certificate2 Device(string name, string? crlDistributionPoint)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string user = name.Replace(' ', '-').ToLowerInvariant();
        X509Certificate2 device = _pki.IssueClient($"CN={name}", $"{user}@contoso.com", now.AddDays(-1), now.AddDays(30), crlDistributionPoint);
        _devices.Add(device);
        return device;
    }

    /// <summary>What the distribution point serves at <paramref name="path"/> from now on (the server reads it under this lock).</summary>
    private static void Publish(LoopbackCrlServer server, string path, byte[] crl)
    {
        lock (server.Content)
        {
            server.Content[path] = crl;
        }
    }

    private byte[] IntermediateCrl(int number, DateTimeOffset nextUpdate, params CrlEntry[] entries) =>
        DeltaCrlBuilder.Base(_pki.IntermediateWithKey, number, entries, nextUpdate: nextUpdate);

    /// <summary>A gateway trusting the lab CAs and requiring a valid certificate, the intermediate's CRL stored when given.</summary>
    private Task<GatewayHarness> StartAsync(RevocationCheckMode mode, byte[]? storedIntermediateCrl = null) =>
        GatewayHarness.StartAsync(c =>
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            c.Settings.RevocationMode = mode;
            c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Root, now));
            c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Intermediate, now));
            RevocationLists.Add(c, CertificateRevocationList.Parse(_pki.RootCrl), false, now);
            if (storedIntermediateCrl is not null)
            {
                RevocationLists.Add(c, CertificateRevocationList.Parse(storedIntermediateCrl), false, now);
            }

            SeedPolicies.AddRequireCertificate(c);
        });

    /// <summary>What the user and the activity log see of a revoked device: 403, the revoked page, a Block/Revoked record.</summary>
    private static async Task AssertRevokedAsync(GatewayHarness harness, X509Certificate2 device)
    {
        int before = ActivityLog.ReadNewestFirst(harness.Store.ActivityDirectory).Count(r => r.CertificateThumbprint == device.Thumbprint);
        (HttpStatusCode status, string html) = await GetAsync(harness, device);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("has been revoked", html);
        Assert.Contains("Reason: Revoked", html);
        Assert.Equal(("Block", "Revoked"), Newest(await RecordsAsync(harness, device, before + 1)));
    }

    private static (string Action, string? CertificateStatus) Newest(IReadOnlyList<ActivityRecord> records) =>
        (records[0].Action, records[0].CertificateStatus);

    /// <summary>The device's activity records, newest first, once there are <paramref name="count"/> (or after about 5 s).</summary>
    private static async Task<IReadOnlyList<ActivityRecord>> RecordsAsync(GatewayHarness harness, X509Certificate2 device, int count)
    {
        List<ActivityRecord> Read() => ActivityLog.ReadNewestFirst(harness.Store.ActivityDirectory).Where(r => r.CertificateThumbprint == device.Thumbprint).ToList();
        for (int i = 0; i < 100 && Read().Count < count; i++)
        {
            await Task.Delay(50);
        }

        List<ActivityRecord> records = Read();
        Assert.True(records.Count >= count, $"{records.Count} activity records of '{device.Subject}', expected {count}");
        return records;
    }

    /// <summary>
    /// A store change that has nothing to do with revocation, served: the gateway's new validator has cached no result, so
    /// what it answers for a device comes from the CRLs (and what the CRL cache remembers of them), not from an earlier answer.
    /// </summary>
    private static Task ChangeRevisionAsync(GatewayHarness harness)
    {
        harness.Store.Update(c => c.Settings.ActivityRetentionDays++);
        return WaitForReloadAsync(harness);
    }

    /// <summary>Waits until the running gateway serves the store's current revision.</summary>
    private static Task WaitForReloadAsync(GatewayHarness harness) =>
        harness.WaitForReadyzAsync($"Ready: revision {harness.Store.Load().Revision} ");

    private static void Run(GatewayHarness harness, string script, Dictionary<string, object?> variables)
    {
        using var host = new PowerShellHost();
        variables["s"] = harness.StorePath;
        (_, IReadOnlyList<ErrorRecord> errors) = host.Run(script, variables);
        Assert.Empty(errors);
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

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(GatewayHarness harness, X509Certificate2 certificate)
    {
        using HttpClient client = harness.CreateClient(certificate);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("User-Agent", Browser);
        request.Headers.TryAddWithoutValidation("Accept", "text/html");
        using HttpResponseMessage response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
