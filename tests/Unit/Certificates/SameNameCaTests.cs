using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// Two store CAs of one name with different keys (a CA renewed with a new key): a certificate without an authority key
/// identifier, rightly issued by either, validates whichever order the store lists them in; one that neither signed does not.
/// </summary>
public sealed class SameNameCaTests : IClassFixture<CorpusPki>
{
    private readonly CorpusPki _pki;

    public SameNameCaTests(CorpusPki pki) => _pki = pki;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void A_certificate_without_an_authority_key_identifier_chains_to_the_namesake_that_signed_it(int signer)
    {
        using X509Certificate2 a = TestPki.Issue(CertificateSpec.Ca("CN=Renewed Issuing CA"), _pki.Root);
        using X509Certificate2 b = TestPki.Issue(CertificateSpec.Ca("CN=Renewed Issuing CA"), _pki.Root);
        using X509Certificate2 c = TestPki.Issue(CertificateSpec.Ca("CN=Renewed Issuing CA"), _pki.Root);
        X509Certificate2[] namesakes = { a, b, c };
        using X509Certificate2 leaf = WithoutAuthorityKeyIdentifier(namesakes[signer]);

        foreach (X509Certificate2[] order in new[] { new[] { a, b, c }, new[] { c, b, a }, new[] { b, c, a } })
        {
            var validator = new CertificateValidator(TestPki.Trusting(RevocationCheckMode.None, false, new[] { _pki.Root }.Concat(order).ToArray()));

            CertificateValidationResult result = validator.Validate(leaf, DateTimeOffset.UtcNow);

            Assert.True(result.IsValid, $"signed by namesake {signer}, store order {string.Join(",", order.Select(o => Array.IndexOf(namesakes, o)))}: {string.Join(" | ", result.Failures.Select(f => f.Message))}");
            Assert.Equal(namesakes[signer].Thumbprint, result.Chain[1].Thumbprint);
        }
    }

    [Fact]
    public void A_certificate_that_no_namesake_signed_stays_refused()
    {
        using X509Certificate2 a = TestPki.Issue(CertificateSpec.Ca("CN=Renewed Issuing CA"), _pki.Root);
        using X509Certificate2 b = TestPki.Issue(CertificateSpec.Ca("CN=Renewed Issuing CA"), _pki.Root);
        using X509Certificate2 outsider = TestPki.Issue(CertificateSpec.Ca("CN=Renewed Issuing CA"), null);
        using X509Certificate2 leaf = WithoutAuthorityKeyIdentifier(outsider);
        var validator = new CertificateValidator(TestPki.Trusting(RevocationCheckMode.None, false, _pki.Root, a, b));

        CertificateValidationResult result = validator.Validate(leaf, DateTimeOffset.UtcNow);

        Assert.False(result.IsValid);
        Assert.DoesNotContain(DeviceTags.ValidClientCertificate, result.DeviceTags);
    }

    private static X509Certificate2 WithoutAuthorityKeyIdentifier(X509Certificate2 issuer)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=No AKID Device", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(CertificateExtensions.ClientAuthenticationOid) }, false));
        using X509Certificate2 leaf = request.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMonths(6), RandomNumberGenerator.GetBytes(9));
        return leaf.CopyWithPrivateKey(key);
    }
}
