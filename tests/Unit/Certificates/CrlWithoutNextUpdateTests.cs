using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Collections.ObjectModel;
using System.Management.Automation;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Store;
using CasbModule.Tests.Cmdlets;
using CasbModule.Types;
using CsCheck;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// A CRL without nextUpdate (RFC 5280 5.1.2.5: conforming issuers MUST include it) promises nothing about when it is
/// superseded. The store refuses one unless forced; the validator counts one as current only for the CRL cache period
/// (CrlCacheMinutes) after its thisUpdate, so that a stored one never stops the distribution point being consulted and a
/// fetched one is fetched again.
/// </summary>
public sealed class CrlWithoutNextUpdateTests : IClassFixture<LabPkiFixture>
{
    private const string Url = "http://127.0.0.1:9/issuing.crl";

    private readonly LabPki _lab;

    public CrlWithoutNextUpdateTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    private static CertificateFailureReason[] Reasons(CertificateValidationResult result) => result.Failures.Select(f => f.Reason).ToArray();

    [Fact]
    public void Add_refuses_a_complete_CRL_without_nextUpdate_as_CrlWithoutNextUpdate_unless_Force()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab);
        CertificateRevocationList crl = CertificateRevocationList.Parse(DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], withoutNextUpdate: true));

        CasbException error = Assert.Throws<CasbException>(() => RevocationLists.Add(configuration, crl, force: false, DateTimeOffset.UtcNow));
        Assert.Empty(configuration.RevocationLists);
        (RevocationListEntry entry, RevocationListChange change) = RevocationLists.Add(configuration, crl, force: true, DateTimeOffset.UtcNow);

        Assert.Equal((RevocationLists.WithoutNextUpdateErrorId, CasbErrorKind.InvalidData), (error.ErrorId, error.Kind));
        Assert.Contains("has no nextUpdate", error.Message);
        Assert.Contains("-Force", error.Message);
        Assert.Equal(RevocationListChange.Added, change);
        Assert.Null(entry.NextUpdate);
    }

    [Fact]
    public void Add_refuses_a_delta_CRL_without_nextUpdate_as_CrlWithoutNextUpdate_unless_Force()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab)
            .WithCrls(DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], "http://127.0.0.1:9/issuing+.crl"));
        CertificateRevocationList delta = CertificateRevocationList.Parse(
            DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, [CrlEntry.Of(_lab.Client)], withoutNextUpdate: true));

        CasbException error = Assert.Throws<CasbException>(() => RevocationLists.Add(configuration, delta, force: false, DateTimeOffset.UtcNow));
        RevocationLists.Add(configuration, delta, force: true, DateTimeOffset.UtcNow);

        Assert.Equal(RevocationLists.WithoutNextUpdateErrorId, error.ErrorId);
        Assert.Equal(2, configuration.RevocationLists.Count);
    }

    [Fact]
    public void Import_refuses_a_CRL_without_nextUpdate_new_to_the_store_as_CrlWithoutNextUpdate_and_keeps_one_the_store_already_holds()
    {
        byte[] der = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], withoutNextUpdate: true);
        var fileEntry = new RevocationListEntry
        {
            Id = Convert.ToHexString(SHA256.HashData(der)),
            IssuerThumbprint = _lab.Intermediate.Thumbprint,
            AddedAt = DateTimeOffset.UtcNow,
            RawData = Convert.ToBase64String(der),
        };
        var source = new CasbConfiguration { RevocationLists = [fileEntry] };
        source.TrustedRoots.AddRange(TestConfigurations.Trusting(_lab).TrustedRoots);
        ImportFile file = ConfigurationImport.Read(CasbStore.Serialize(source), "policies.json");
        CasbConfiguration fresh = TestConfigurations.Trusting(_lab);
        CasbConfiguration holding = TestConfigurations.Trusting(_lab).WithCrls(der);

        CasbException error = Assert.Throws<CasbException>(() => ConfigurationImport.Apply(fresh, file, ConfigurationImport.Plan(fresh, file, replace: false)));
        ConfigurationImport.Apply(holding, file, ConfigurationImport.Plan(holding, file, replace: false));

        Assert.Equal((RevocationLists.WithoutNextUpdateErrorId, CasbErrorKind.InvalidData), (error.ErrorId, error.Kind));
        Assert.Contains("policies.json", error.Message);
        Assert.Single(holding.RevocationLists);
    }

    /// <summary>
    /// Neighbours of the cache period: a forced stored CRL without nextUpdate, silent about the device, decides alone only
    /// while younger than CrlCacheMinutes; from then on the distribution point is consulted, and its CRL (which lists the
    /// device) blocks it.
    /// </summary>
    [Fact]
    public void A_stored_CRL_without_nextUpdate_vouches_only_for_the_cache_period_after_its_thisUpdate_then_the_distribution_point_decides()
    {
        DateTimeOffset t0 = DateTimeOffset.UtcNow;
        using X509Certificate2 device = _lab.IssueClient("CN=No NextUpdate Device", "nonext@contoso.com", t0.AddDays(-2), t0.AddDays(60), Url);
        byte[] fetched = TestConfigurations.IntermediateCrl(_lab, 20, t0.AddDays(30), t0.AddDays(-1), device);

        Gen.Int[1, 24 * 60].Select(Gen.Int[-3, 3], Gen.Bool).Sample((cacheMinutes, offsetSeconds, delta) =>
        {
            // Each sample its own configuration, clock and cache: CsCheck runs samples on several threads at once.
            DateTimeOffset thisUpdate = t0.AddDays(-1);
            DateTimeOffset at = thisUpdate.AddMinutes(cacheMinutes).AddSeconds(offsetSeconds);
            CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl);
            configuration.Settings.CrlCacheMinutes = cacheMinutes;
            byte[] stored = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], thisUpdate: thisUpdate, withoutNextUpdate: !delta);
            RevocationLists.Add(configuration, CertificateRevocationList.Parse(stored), force: true, thisUpdate);
            if (delta)
            {
                // The complete CRL has a far nextUpdate; the delta that completes it has none.
                configuration.RevocationLists.Clear();
                byte[] complete = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], "http://127.0.0.1:9/issuing+.crl", thisUpdate, t0.AddDays(30));
                byte[] deltaCrl = DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, [], thisUpdate, withoutNextUpdate: true);
                configuration.WithCrls(_lab.RootCrl, complete, deltaCrl);
            }

            var source = new CountingSource(fetched);
            var validator = new CertificateValidator(configuration, new CrlCache(source, new ManualTimeProvider(at), work => work()));
            CertificateValidationResult result = validator.Validate(device, at);

            bool stillCurrent = at < thisUpdate.AddMinutes(cacheMinutes);
            if (stillCurrent)
            {
                Assert.True(result.IsValid, string.Join(" ", result.Failures.Select(f => f.Message)));
            }
            else
            {
                Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(result));
                Assert.True(source.Fetches > 0);
            }
        }, iter: 60);
    }

    [Fact]
    public void A_fetched_CRL_without_nextUpdate_is_fetched_again_after_the_cache_period_and_does_not_vouch_once_it_has_passed()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        DateTimeOffset t0 = clock.GetUtcNow();
        using X509Certificate2 device = _lab.IssueClient("CN=Fetched No NextUpdate", "fetched-nonext@contoso.com", t0.AddDays(-2), t0.AddDays(60), Url);
        var source = new CountingSource(DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], thisUpdate: t0.AddMinutes(-1), withoutNextUpdate: true));
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl);
        configuration.Settings.CrlCacheMinutes = 60;
        CertificateValidationResult Check() => new CertificateValidator(configuration, cache).Validate(device, clock.GetUtcNow());

        CertificateValidationResult fresh = Check();
        clock.Advance(TimeSpan.FromMinutes(61));
        source.Crl = null; // the distribution point is down: the copy held must not vouch past thisUpdate + 60 minutes
        CertificateValidationResult whileDown = Check();
        clock.Advance(CrlCache.FailureTtl + TimeSpan.FromSeconds(1));
        source.Crl = TestConfigurations.IntermediateCrl(_lab, 11, clock.GetUtcNow().AddDays(7), clock.GetUtcNow().AddMinutes(-1), device);
        CertificateValidationResult revokedSince = Check();

        Assert.True(fresh.IsValid, string.Join(" ", fresh.Failures.Select(f => f.Message)));
        Assert.Equal(new[] { CertificateFailureReason.RevocationUnknown }, Reasons(whileDown));
        Assert.Contains("no nextUpdate", whileDown.Failures[0].Message);
        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(revokedSince));
        Assert.Equal(3, source.Fetches);
    }

    [Fact]
    public void Add_CasbCertificateRevocationList_writes_CrlWithoutNextUpdate_InvalidData_and_with_Force_shows_the_CRL_current_only_for_the_cache_period()
    {
        string directory = Directory.CreateTempSubdirectory("casb-nonext-").FullName;
        try
        {
            string store = Path.Combine(directory, "store");
            string recent = Path.Combine(directory, "recent.crl");
            string old = Path.Combine(directory, "old.crl");
            DateTimeOffset now = DateTimeOffset.UtcNow;
            File.WriteAllBytes(recent, DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], thisUpdate: now.AddMinutes(-1), withoutNextUpdate: true));
            File.WriteAllBytes(old, DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 9, [], "http://127.0.0.1:9/a+.crl", now.AddHours(-2), withoutNextUpdate: true));
            using var host = new PowerShellHost();
            host.Run("$c | Add-CasbTrustedRoot -StorePath $s | Out-Null", new Dictionary<string, object?> { ["c"] = new[] { _lab.Root, _lab.Intermediate }, ["s"] = store });

            (Collection<PSObject> refused, IReadOnlyList<ErrorRecord> errors) = host.Run(
                "Add-CasbCertificateRevocationList -LiteralPath $f -StorePath $s -PassThru", new Dictionary<string, object?> { ["f"] = recent, ["s"] = store });
            // Two stores: the CRLs are of one CA and scope, so in one store the second would replace the first.
            string other = Path.Combine(directory, "other");
            host.Run("$c | Add-CasbTrustedRoot -StorePath $s | Out-Null", new Dictionary<string, object?> { ["c"] = new[] { _lab.Root, _lab.Intermediate }, ["s"] = other });
            (Collection<PSObject> forced, IReadOnlyList<ErrorRecord> forcedErrors) = host.Run(
                "Add-CasbCertificateRevocationList -LiteralPath $f -StorePath $s -PassThru -Force; Add-CasbCertificateRevocationList -LiteralPath $g -StorePath $t -PassThru -Force",
                new Dictionary<string, object?> { ["f"] = recent, ["s"] = store, ["g"] = old, ["t"] = other });
            (Collection<PSObject> listed, _) = host.Run(
                "Set-CasbGatewaySetting -StorePath $s -CrlCacheMinutes 60; Set-CasbGatewaySetting -StorePath $t -CrlCacheMinutes 60; Get-CasbCertificateRevocationList -StorePath $s; Get-CasbCertificateRevocationList -StorePath $t",
                new Dictionary<string, object?> { ["s"] = store, ["t"] = other });

            ErrorRecord error = Assert.Single(errors);
            Assert.Empty(refused);
            Assert.Equal("CrlWithoutNextUpdate,CasbModule.Cmdlets.AddCasbCertificateRevocationListCommand", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
            Assert.Empty(forcedErrors);
            Assert.Equal(2, forced.Count);
            Assert.Equal(
                new[] { ("10", true), ("9", false) },
                listed.Select(o => (CasbCertificateRevocationList)o.BaseObject).Select(c => (c.CrlNumber!, c.IsCurrent)).OrderByDescending(c => c.Item2));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed class CountingSource(byte[]? crl) : ICrlSource
    {
        private int _fetches;

        public byte[]? Crl { get; set; } = crl;

        public int Fetches => Volatile.Read(ref _fetches);

        public byte[] Fetch(Uri location, TimeSpan timeout)
        {
            Interlocked.Increment(ref _fetches);
            return Crl ?? throw new HttpRequestException("connection refused (test)");
        }
    }
}
