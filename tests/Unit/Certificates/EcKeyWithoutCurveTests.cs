using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// An elliptic-curve key whose SubjectPublicKeyInfo carries no parameters names no curve (RFC 5480 requires the
/// namedCurve): the key rules say so instead of dereferencing the absent parameters, and the validator refuses it.
/// </summary>
public sealed class EcKeyWithoutCurveTests
{
    [Fact]
    public void A_client_certificate_whose_ec_key_names_no_curve_is_refused_as_a_weak_key()
    {
        using X509Certificate2 root = TestPki.Issue(CertificateSpec.Ca("CN=No Curve Test Root"), null);
        using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] point = new PublicKey(ec).EncodedKeyValue.RawData;
        var keyWithoutCurve = new PublicKey(new Oid("1.2.840.10045.2.1"), null, new AsnEncodedData(point));
        var request = new CertificateRequest(new X500DistinguishedName("CN=no curve"), keyWithoutCurve, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(CertificateExtensions.ClientAuthenticationOid) }, false));
        using RSA rootKey = root.GetRSAPrivateKey()!;
        using X509Certificate2 leaf = request.Create(
            root.SubjectName, X509SignatureGenerator.CreateForRSA(rootKey, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [1, 2, 3, 4]);
        Assert.Null(leaf.PublicKey.EncodedParameters);

        Assert.Equal("its elliptic-curve key names no curve", CryptographyRules.KeyProblem(leaf, allowWeak: true));
        CertificateValidationResult result = new CertificateValidator(TestPki.Trusting(CasbCore.Model.RevocationCheckMode.Optional, false, root), new CrlCache(new NoNetworkCrlSource()))
            .Validate(leaf, DateTimeOffset.UtcNow);
        Assert.False(result.IsValid); // the platform's chain build refuses it first (InvalidCertificate)
    }
}
