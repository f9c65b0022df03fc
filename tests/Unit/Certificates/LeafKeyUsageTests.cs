using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;
using CsCheck;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// A client certificate proves its key in the TLS handshake with a signature (CertificateVerify), so a key usage
/// extension that does not allow digitalSignature (one issued for key encipherment or CRL signing only) is no client
/// certificate, as RFC 5280 4.2.1.12 and OpenSSL's SSL client purpose have it. The TLS stack does not look.
/// </summary>
public sealed class LeafKeyUsageTests : IClassFixture<CorpusPki>
{
    // keyAgreement is left to the table above: the platform will not pair an EC key with a certificate for ECDH only.
    private static readonly X509KeyUsageFlags[] Flags =
    {
        X509KeyUsageFlags.DigitalSignature, X509KeyUsageFlags.NonRepudiation, X509KeyUsageFlags.KeyEncipherment,
        X509KeyUsageFlags.DataEncipherment, X509KeyUsageFlags.KeyCertSign,
        X509KeyUsageFlags.CrlSign, X509KeyUsageFlags.EncipherOnly, X509KeyUsageFlags.DecipherOnly,
    };

    private readonly CorpusPki _pki;

    public LeafKeyUsageTests(CorpusPki pki) => _pki = pki;

    [Theory]
    [InlineData(X509KeyUsageFlags.KeyEncipherment)]
    [InlineData(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment)]
    [InlineData(X509KeyUsageFlags.CrlSign)]
    [InlineData(X509KeyUsageFlags.NonRepudiation)]
    [InlineData(X509KeyUsageFlags.KeyAgreement)]
    public void A_leaf_whose_key_may_not_sign_does_not_get_the_valid_tag(X509KeyUsageFlags usage)
    {
        var validator = new CertificateValidator(_pki.Trusting(RevocationCheckMode.None));
        using X509Certificate2 leaf = TestPki.Issue(new CertificateSpec { Upn = "alice@contoso.com", KeyUsage = usage }, _pki.Issuing);

        CertificateValidationResult result = validator.Validate(leaf, DateTimeOffset.UtcNow);

        Assert.False(result.IsValid, $"key usage {usage} only, yet valid");
        Assert.DoesNotContain(DeviceTags.ValidClientCertificate, result.DeviceTags);
        CertificateFailure failure = Assert.Single(result.Failures);
        Assert.Equal(CertificateFailureReason.NoClientAuthentication, failure.Reason);
        Assert.Contains("digitalSignature", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>Generated neighbours: every key usage a leaf may list; valid exactly when it may sign and may not sign certificates.</summary>
    [Fact]
    public void A_leaf_is_valid_exactly_when_its_key_usage_allows_digital_signature_and_not_certificate_signing()
    {
        using ECDsa leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        TestKey key = TestKey.Reused(leafKey);
        var validator = new CertificateValidator(_pki.Trusting(RevocationCheckMode.None));

        Gen.Bool.Array[Flags.Length].Sample(chosen =>
        {
            X509KeyUsageFlags usage = Flags.Where((_, i) => chosen[i]).Aggregate(X509KeyUsageFlags.None, (a, f) => a | f);
            using X509Certificate2 leaf = TestPki.Issue(new CertificateSpec { Key = key, KeyUsage = usage }, _pki.Issuing);

            CertificateValidationResult result = validator.Validate(leaf, DateTimeOffset.UtcNow);

            bool expected = usage.HasFlag(X509KeyUsageFlags.DigitalSignature) && !usage.HasFlag(X509KeyUsageFlags.KeyCertSign);
            Assert.True(expected == result.IsValid, $"{usage}: {string.Join(" | ", result.Failures.Select(f => f.Message))}");
        }, iter: 60);
    }
}
