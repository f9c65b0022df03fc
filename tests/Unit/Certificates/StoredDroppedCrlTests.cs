using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// docs/certificate-validation.md's way to make a revocation a distribution point dropped count in every process (a
/// Test-CasbAccess session, a restarted gateway), whose CRL cache only ever downloads the newer CRL: store the CRL that listed it.
/// </summary>
public sealed class StoredDroppedCrlTests : IClassFixture<LabPkiFixture>
{
    private readonly LabPki _lab;

    public StoredDroppedCrlTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    [Theory]
    [InlineData(RevocationCheckMode.Optional, false)]
    [InlineData(RevocationCheckMode.Required, false)]
    [InlineData(RevocationCheckMode.Optional, true)]
    [InlineData(RevocationCheckMode.Required, true)]
    public void A_stored_CRL_that_listed_the_device_revokes_it_in_a_process_that_downloads_only_the_newer_CRL(RevocationCheckMode mode, bool stale)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        const string url = "http://127.0.0.1:9/dropped.crl";
        using X509Certificate2 device = _lab.IssueClient("CN=Dropped at the CDP", "dropped-at-cdp@contoso.com", now.AddDays(-1), now.AddDays(30), url);
        byte[] twenty = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 20, [CrlEntry.Of(device)], thisUpdate: now.AddDays(-3), nextUpdate: stale ? now.AddDays(-1) : now.AddDays(1));
        byte[] twentyOne = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 21, [], nextUpdate: now.AddDays(7));
        CasbConfiguration c = TestConfigurations.Trusting(_lab, mode).WithCrls(_lab.RootCrl);
        RevocationLists.Add(c, CertificateRevocationList.Parse(twenty), force: stale, now);
        var source = new PublishedCrls { [url] = twentyOne };
        // A cache of its own, as another process has: it never held CRL 20.
        var validator = new CertificateValidator(c, new CrlCache(source));
        CertificateValidationResult result = validator.Validate(device, now);

        Assert.Equal("Revoked", result.Status);
        Assert.Contains("reason KeyCompromise", Assert.Single(result.Failures).Message);
    }
}
