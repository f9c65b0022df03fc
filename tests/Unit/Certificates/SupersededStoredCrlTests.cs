using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// A store can hold an older complete CRL beside a newer one of the same CA and scope, a state Add-CasbCertificateRevocationList
/// and Import-CasbConfiguration never leave but that Copy-CasbStore carries over as it is (from a store imported into before
/// imports replaced superseded CRLs, or edited by hand). The validator let the older one vouch when the newer one could not
/// (it announces a delta CRL that cannot be had, its signature algorithm is refused, it is past its nextUpdate), and a
/// distribution point replaying an older CRL did the same: valid in Required mode. Only the newest complete CRL of a CA
/// and scope the store holds may prove a certificate unrevoked now; an older one still proves what it lists.
/// </summary>
public sealed class SupersededStoredCrlTests : IClassFixture<LabPkiFixture>
{
    private const string DeltaUrl = "http://127.0.0.1:9/issuing+.crl";
    private const string CrlUrl = "http://127.0.0.1:9/issuing.crl";

    private readonly LabPki _lab;

    public SupersededStoredCrlTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    public static TheoryData<string, bool> Neighbours() => new()
    {
        { "announces a delta that cannot be had", false },
        { "SHA-1 signed", false },
        { "past its nextUpdate", false },
        { "announces a delta that cannot be had", true },
        { "SHA-1 signed", true },
        { "past its nextUpdate", true },
    };

    [Theory]
    [MemberData(nameof(Neighbours))]
    public void An_older_complete_CRL_never_vouches_for_a_certificate_in_place_of_a_newer_one_of_its_CA_and_scope(string newer, bool olderFromDistributionPoint)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 client = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, olderFromDistributionPoint ? CrlUrl : null, null, "CN=Superseded device");
        byte[] older = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 9, [], thisUpdate: now.AddDays(-2), nextUpdate: now.AddDays(7));
        byte[] newest = newer switch
        {
            "announces a delta that cannot be had" => DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], DeltaUrl),
            "SHA-1 signed" => TestPki.Crl(_lab.IntermediateWithKey, 10, now.AddMinutes(-1), now.AddDays(7), hash: HashAlgorithmName.SHA1),
            _ => DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], thisUpdate: now.AddDays(-1), nextUpdate: now.AddHours(-1)),
        };
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl);
        if (!olderFromDistributionPoint)
        {
            configuration.WithRawCrl(older, _lab.Intermediate);
        }

        configuration.WithRawCrl(newest, _lab.Intermediate);
        var source = new Published { [CrlUrl] = older };

        CertificateValidationResult result = new CertificateValidator(configuration, new CrlCache(source, runInBackground: work => work())).Validate(client, now);

        Assert.True(result.Status == "RevocationUnknown", $"{result.Status}: {string.Join("; ", result.Failures.Select(f => f.Message))}");
    }

    [Fact]
    public void An_older_complete_CRL_beside_a_newer_one_still_proves_what_it_lists_and_the_newer_one_vouches()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 revoked = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, null, null, "CN=Superseded revoked");
        using X509Certificate2 good = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, null, null, "CN=Superseded good");
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl)
            .WithRawCrl(DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 9, [CrlEntry.Of(revoked)], thisUpdate: now.AddDays(-2)), _lab.Intermediate)
            .WithRawCrl(DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, []), _lab.Intermediate);
        var validator = new CertificateValidator(configuration, new CrlCache(new NoNetworkCrlSource(), runInBackground: work => work()));

        Assert.Equal("Revoked", validator.Validate(revoked, now).Status);
        Assert.True(validator.Validate(good, now).IsValid);
    }

    private sealed class Published : Dictionary<string, byte[]>, ICrlSource
    {
        public byte[] Fetch(Uri location, TimeSpan timeout) =>
            TryGetValue(location.AbsoluteUri, out byte[]? crl) ? crl : throw new HttpRequestException("connection refused (test)");
    }
}
