using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// A certificate whose Freshest CRL extension announces a delta CRL (RFC 5280 4.2.1.15) is not proven unrevoked by the
/// silence of a complete CRL alone, whatever its delta locations are: an AD CS certificate may name only an ldap:/// one,
/// which the gateway cannot fetch. Such a certificate counted as announcing nothing, and validated in Required mode on the
/// complete CRL's silence, while the same location in the complete CRL's own Freshest CRL extension failed closed.
/// </summary>
public sealed class CertificateFreshestCrlTests : IClassFixture<LabPkiFixture>
{
    internal const string LdapDelta = "ldap:///CN=Casb%20Lab%20Issuing%20CA,CN=pki,CN=CDP,CN=Public%20Key%20Services,DC=contoso,DC=test?deltaRevocationList?base?objectClass=cRLDistributionPoint";
    private const string HttpDelta = "http://127.0.0.1:9/issuing+.crl";
    private const string FileDelta = "file:///pki/issuing+.crl";

    private readonly LabPki _lab;

    public DateTimeOffset Now { get; } = DateTimeOffset.UtcNow;

    public CertificateFreshestCrlTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    [Theory]
    [InlineData(LdapDelta, null)]
    [InlineData(FileDelta, null)]
    [InlineData(HttpDelta, null)]
    [InlineData(LdapDelta, LdapDelta)]
    [InlineData(LdapDelta, HttpDelta)]
    [InlineData(null, LdapDelta)]
    public void A_delta_announced_by_the_certificate_or_its_complete_CRL_that_cannot_be_had_leaves_the_status_unknown(string? inCertificate, string? inCrl)
    {
        using X509Certificate2 client = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, null, inCertificate, "CN=Freshest device");
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required)
            .WithCrls(_lab.RootCrl, DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], inCrl));

        CertificateValidationResult result = new CertificateValidator(configuration, new CrlCache(new Refused(), runInBackground: work => work())).Validate(client, Now);

        CertificateFailure failure = Assert.Single(result.Failures);
        Assert.True(failure.Reason == CertificateFailureReason.RevocationUnknown, $"{result.Status}: {failure.Message}");
        Assert.Contains("announces a delta CRL", failure.Message);
    }

    [Fact]
    public void A_certificate_announcing_a_delta_only_at_ldap_validates_with_a_stored_current_delta_and_is_revoked_by_one_that_lists_it()
    {
        using X509Certificate2 client = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, null, LdapDelta, "CN=Freshest device");
        CasbConfiguration Stored(params CrlEntry[] inDelta) => TestConfigurations.Trusting(_lab, RevocationCheckMode.Required)
            .WithCrls(_lab.RootCrl, DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, []), DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, inDelta));
        CertificateValidationResult Check(CasbConfiguration configuration) =>
            new CertificateValidator(configuration, new CrlCache(new NoNetworkCrlSource(), runInBackground: work => work())).Validate(client, Now);

        Assert.True(Check(Stored()).IsValid);
        Assert.Equal("Revoked", Check(Stored(CrlEntry.Of(client))).Status);
    }

    private sealed class Refused : ICrlSource
    {
        public byte[] Fetch(Uri location, TimeSpan timeout) => throw new HttpRequestException("connection refused (test)");
    }
}
