using System.Numerics;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

/// <summary>Delta CRLs (RFC 5280 5.2.4, 5.2.6) as the parser reads them.</summary>
public sealed class DeltaCrlTests : IClassFixture<LabPkiFixture>
{
    private const string DeltaUrl = "http://127.0.0.1:9/issuing+.crl";

    private readonly LabPki _lab;

    public DeltaCrlTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    [Fact]
    public void A_delta_CRL_is_read_with_its_base_CRL_number_and_a_base_with_the_URL_of_its_delta()
    {
        CertificateRevocationList delta = CertificateRevocationList.Parse(
            DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 8, 7, [CrlEntry.Of(_lab.Client, X509RevocationReason.CertificateHold)]));
        CertificateRevocationList complete = CertificateRevocationList.Parse(DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 7, [], DeltaUrl));
        CertificateRevocationList plain = CertificateRevocationList.Parse(_lab.IntermediateCrl);

        Assert.True(delta.IsDelta);
        Assert.Equal(new BigInteger(7), delta.BaseCrlNumber);
        Assert.Equal(new BigInteger(8), delta.CrlNumber);
        Assert.Equal(X509RevocationReason.CertificateHold, delta.FindRevoked(_lab.Client)?.Reason);
        Assert.False(complete.IsDelta);
        Assert.True(complete.AnnouncesDelta);
        Assert.Equal(new Uri(DeltaUrl), Assert.Single(complete.FreshestCrlLocations));
        Assert.False(plain.IsDelta);
        Assert.False(plain.AnnouncesDelta);
        Assert.Empty(plain.FreshestCrlLocations);
    }

    [Theory]
    [InlineData("non-critical indicator", "non-critical Delta CRL Indicator")]
    [InlineData("number not above base", "not greater than its BaseCRLNumber")]
    [InlineData("number equal to base", "not greater than its BaseCRLNumber")]
    [InlineData("no CRL number", "without a CRL number")]
    [InlineData("negative base", "negative BaseCRLNumber")]
    public void A_delta_CRL_that_breaks_RFC_5280_is_CrlMalformed(string kind, string said)
    {
        byte[] der = kind switch
        {
            "non-critical indicator" => DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 8, 7, [], criticalIndicator: false),
            "number not above base" => DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 6, 7, []),
            "number equal to base" => DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 7, 7, []),
            "no CRL number" => DeltaCrlBuilder.Build(_lab.IntermediateWithKey, null, [], baseNumber: 7, freshest: null),
            _ => DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 8, -1, []),
        };

        CasbException error = Assert.Throws<CasbException>(() => CertificateRevocationList.Parse(der, "issuing+.crl"));

        Assert.Equal(CertificateRevocationList.MalformedErrorId, error.ErrorId);
        Assert.Contains(said, error.Message);
        Assert.Contains("issuing+.crl", error.Message);
    }

    [Fact]
    public void A_certificate_names_the_delta_CRL_of_its_issuer_in_its_Freshest_CRL_extension()
    {
        using X509Certificate2 client = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, "http://127.0.0.1:9/issuing.crl", DeltaUrl);

        Assert.Equal(new Uri(DeltaUrl), Assert.Single(CertificateExtensions.GetFreshestCrlLocations(client)));
        Assert.Equal(new Uri("http://127.0.0.1:9/issuing.crl"), Assert.Single(CertificateExtensions.GetCrlDistributionPoints(client)));
        Assert.Empty(CertificateExtensions.GetFreshestCrlLocations(_lab.Client));
    }

    [Fact]
    public void The_silence_of_a_delta_CRL_alone_covers_no_certificate()
    {
        CertificateRevocationList delta = CertificateRevocationList.Parse(DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 8, 7, []));

        Assert.False(delta.Covers(_lab.Client));
    }
}
