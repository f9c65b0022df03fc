using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// A certificate a CRL lists stays revoked once the CRL passes its nextUpdate (the lab CRL's is 7 days out): a stale
/// CRL only leaves the status of the certificates it does NOT list unknown. The clock moves; stored and
/// distribution-point CRLs; Optional and Required.
/// </summary>
public sealed class RevocationIsPermanentTests : IClassFixture<LabPkiFixture>
{
    private static readonly TimeSpan PastNextUpdate = TimeSpan.FromDays(8);

    private readonly LabPki _lab;

    public RevocationIsPermanentTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    private static CertificateFailureReason[] Reasons(CertificateValidationResult result) => result.Failures.Select(f => f.Reason).ToArray();

    [Theory]
    [InlineData(RevocationCheckMode.Optional)]
    [InlineData(RevocationCheckMode.Required)]
    public void A_certificate_listed_in_a_stored_CRL_stays_revoked_after_the_CRL_next_update(RevocationCheckMode mode)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, mode).WithCrls(_lab.IntermediateCrl, _lab.RootCrl);
        var validator = new CertificateValidator(configuration, new CrlCache(new DownSource(), clock));
        CertificateValidationResult before = validator.Validate(_lab.RevokedClient, clock.GetUtcNow());

        clock.Advance(PastNextUpdate);
        CertificateValidationResult sameRevision = validator.Validate(_lab.RevokedClient, clock.GetUtcNow());
        CertificateValidationResult nextRevision = new CertificateValidator(configuration, new CrlCache(new DownSource(), clock)).Validate(_lab.RevokedClient, clock.GetUtcNow());
        CertificateValidationResult notListed = new CertificateValidator(configuration, new CrlCache(new DownSource(), clock)).Validate(_lab.Client, clock.GetUtcNow());

        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(before));
        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(sameRevision));
        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(nextRevision));
        Assert.Contains("past its nextUpdate", nextRevision.Failures[0].Message);
        if (mode == RevocationCheckMode.Optional)
        {
            Assert.True(notListed.IsValid, string.Join(" ", notListed.Failures.Select(f => f.Message)));
        }
        else
        {
            Assert.Equal(new[] { CertificateFailureReason.RevocationUnknown }, Reasons(notListed));
        }
    }

    [Theory]
    [InlineData(RevocationCheckMode.Optional)]
    [InlineData(RevocationCheckMode.Required)]
    public void A_certificate_listed_in_a_distribution_point_CRL_stays_revoked_after_the_CRL_next_update_whatever_the_point_serves_then(RevocationCheckMode mode)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        DateTimeOffset t0 = clock.GetUtcNow();
        const string Url = "http://127.0.0.1:9/issuing.crl";
        using X509Certificate2 revoked = _lab.IssueClient("CN=CDP Revoked", "cdp-revoked@contoso.com", t0.AddDays(-1), t0.AddDays(60), Url);
        using X509Certificate2 good = _lab.IssueClient("CN=CDP Good", "cdp-good@contoso.com", t0.AddDays(-1), t0.AddDays(60), Url);
        var source = new SwitchableSource { Crl = TestConfigurations.IntermediateCrl(_lab, 5, t0.AddDays(7), t0.AddMinutes(-1), revoked) };
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, mode).WithCrls(_lab.RootCrl);
        configuration.Settings.CrlCacheMinutes = 60;
        CertificateValidationResult Check(X509Certificate2 certificate) =>
            new CertificateValidator(configuration, cache).Validate(certificate, clock.GetUtcNow());

        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(Check(revoked)));

        clock.Advance(PastNextUpdate);
        source.Crl = null; // the distribution point is down
        CertificateValidationResult whileDown = Check(revoked);
        clock.Advance(CrlCache.FailureTtl + TimeSpan.FromSeconds(1));
        source.Crl = TestConfigurations.IntermediateCrl(_lab, 4, t0.AddDays(30), t0.AddDays(-2)); // a replayed older CRL
        CertificateValidationResult afterRollback = Check(revoked);
        clock.Advance(CrlCache.FailureTtl + TimeSpan.FromSeconds(1));
        source.Crl = TestConfigurations.IntermediateCrl(_lab, 5, t0.AddDays(7), t0.AddMinutes(-1), revoked); // still the stale one
        CertificateValidationResult stillStale = Check(revoked);
        CertificateValidationResult notListed = Check(good);

        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(whileDown));
        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(afterRollback));
        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(stillStale));
        Assert.Contains(Url, stillStale.Failures[0].Message);
        if (mode == RevocationCheckMode.Optional)
        {
            Assert.True(notListed.IsValid, string.Join(" ", notListed.Failures.Select(f => f.Message)));
        }
        else
        {
            Assert.Equal(new[] { CertificateFailureReason.RevocationUnknown }, Reasons(notListed));
            Assert.Contains("out of date", notListed.Failures[0].Message);
        }
    }

    [Fact]
    public void A_malformed_CRL_never_vouches_even_in_Optional_mode_it_only_leaves_the_status_unknown()
    {
        using X509Certificate2 client = _lab.IssueClient("CN=Malformed CRL Device", null, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        byte[] malformed = TestPki.Crl(_lab.IntermediateWithKey, 9, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(7), criticalCrlNumber: true);
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl).WithRawCrl(malformed, _lab.Intermediate);

        CertificateValidationResult result = new CertificateValidator(configuration, new CrlCache(new DownSource())).Validate(client, DateTimeOffset.UtcNow);

        Assert.Equal(new[] { CertificateFailureReason.RevocationUnknown }, Reasons(result));
        Assert.Contains("CRL number extension critical", result.Failures[0].Message);
    }

    private sealed class DownSource : ICrlSource
    {
        public byte[] Fetch(Uri location, TimeSpan timeout) => throw new HttpRequestException("connection refused (test)");
    }

    private sealed class SwitchableSource : ICrlSource
    {
        public byte[]? Crl { get; set; }

        public byte[] Fetch(Uri location, TimeSpan timeout) => Crl ?? throw new HttpRequestException("connection refused (test)");
    }
}
