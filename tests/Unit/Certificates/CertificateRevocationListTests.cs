using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CsCheck;

namespace CasbModule.Tests.Certificates;

public sealed class CertificateRevocationListTests : IClassFixture<LabPkiFixture>
{
    private readonly LabPki _lab;

    public CertificateRevocationListTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    [Fact]
    public void A_DER_CRL_is_parsed_into_its_issuer_dates_number_and_revoked_serials()
    {
        CertificateRevocationList crl = CertificateRevocationList.Parse(_lab.IntermediateCrl);

        Assert.Equal(_lab.Intermediate.Subject, crl.Issuer.Name);
        Assert.Equal(BigInteger.One, crl.CrlNumber);
        Assert.True(crl.ThisUpdate < Now && crl.NextUpdate > Now.AddDays(6));
        RevokedCertificate revoked = Assert.Single(crl.RevokedCertificates);
        Assert.Equal(X509RevocationReason.KeyCompromise, revoked.Reason);
        Assert.NotNull(crl.FindRevoked(_lab.RevokedClient));
        Assert.Null(crl.FindRevoked(_lab.Client));
        Assert.Equal("1.2.840.113549.1.1.11", crl.SignatureAlgorithm);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(_lab.IntermediateCrl)), crl.Id);
    }

    /// <summary>
    /// A serial number is an integer: the CRL lists a certificate exactly when their serials are the same number,
    /// however the certificate pads it (a leading 00 or FF that repeats the sign), and a negative serial never
    /// matches the positive one whose bytes read the same once the sign byte is gone (-1 = FF, 255 = 00 FF).
    /// </summary>
    [Theory]
    [InlineData(-1L, 255L)]
    [InlineData(-128L, 128L)]
    [InlineData(-32768L, 32768L)]
    public void A_negative_serial_in_a_CRL_does_not_revoke_the_positive_serial_with_the_same_bytes(long listed, long offered)
    {
        CertificateRevocationList crl = CertificateRevocationList.Parse(CrlListing(new BigInteger(listed)));

        Assert.Null(crl.FindRevoked(new BigInteger(offered).ToByteArray(isUnsigned: false, isBigEndian: true)));
        Assert.NotNull(crl.FindRevoked(new BigInteger(listed).ToByteArray(isUnsigned: false, isBigEndian: true)));
    }

    [Fact]
    public void A_CRL_lists_a_serial_exactly_when_it_is_the_same_number_however_it_is_padded()
    {
        Gen<long> serial = Gen.OneOf(Gen.Long[-70_000, 70_000], Gen.Const(0L).Select(_ => 0L), Gen.Int[0, 10].Select(i => new[] { -1L, 0L, 1L, 127L, 128L, 255L, -128L, -129L, -256L, 65_535L, -32_768L }[i]));
        BigInteger[] listed = { -1, 128, 255, -128, 65_535, 1 };
        CertificateRevocationList crl = CertificateRevocationList.Parse(CrlListing(listed));

        Gen.Select(serial, Gen.Int[0, 2]).Sample((offered, padding) =>
        {
            var number = new BigInteger(offered);
            byte[] minimal = number.ToByteArray(isUnsigned: false, isBigEndian: true);
            byte sign = number.Sign < 0 ? (byte)0xFF : (byte)0x00;
            byte[] bytes = Enumerable.Repeat(sign, padding).Concat(minimal).ToArray();

            Assert.True(
                listed.Contains(number) == (crl.FindRevoked(bytes) is not null),
                $"serial {offered} as {Convert.ToHexString(bytes)} against the listed {string.Join(", ", listed)}");
        }, iter: 500);
    }

    private byte[] CrlListing(params BigInteger[] serials)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (BigInteger serial in serials)
        {
            builder.AddEntry(serial.ToByteArray(isUnsigned: false, isBigEndian: true), Now.AddDays(-1));
        }

        return builder.Build(_lab.IntermediateWithKey, BigInteger.One, Now.AddDays(7), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    [Fact]
    public void A_PEM_CRL_is_the_same_CRL()
    {
        byte[] pem = Encoding.ASCII.GetBytes("some text first\n" + PemEncoding.WriteString("X509 CRL", _lab.IntermediateCrl) + "\n");

        CertificateRevocationList crl = CertificateRevocationList.Parse(pem, "issuing.crl");

        Assert.Equal(_lab.IntermediateCrl, crl.RawData);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("truncated")]
    [InlineData("garbage")]
    [InlineData("certificate-pem")]
    [InlineData("trailing")]
    public void A_truncated_or_garbage_CRL_is_a_clear_CrlUnreadable_error(string kind)
    {
        byte[] data = kind switch
        {
            "empty" => Array.Empty<byte>(),
            "truncated" => _lab.IntermediateCrl[..(_lab.IntermediateCrl.Length / 2)],
            "garbage" => RandomNumberGenerator.GetBytes(300),
            "certificate-pem" => Encoding.ASCII.GetBytes(_lab.Root.ExportCertificatePem()),
            _ => _lab.IntermediateCrl.Concat(new byte[] { 0x05, 0x00 }).ToArray(),
        };
        if (kind == "garbage")
        {
            data[0] = 0x30;
        }

        CasbException error = Assert.Throws<CasbException>(() => CertificateRevocationList.Parse(data, "bad.crl"));

        Assert.Equal("CrlUnreadable", error.ErrorId);
        Assert.Contains("bad.crl", error.Message);
    }

    [Fact]
    public void The_signature_is_verified_with_the_issuer_key_only()
    {
        CertificateRevocationList crl = CertificateRevocationList.Parse(_lab.IntermediateCrl);
        CertificateRevocationList forged = CertificateRevocationList.Parse(TestConfigurations.ForgedIntermediateCrl(_lab));

        Assert.True(crl.IsSignedBy(_lab.Intermediate));
        Assert.False(crl.IsSignedBy(_lab.Root));
        Assert.False(forged.IsSignedBy(_lab.Intermediate));
    }

    [Theory]
    [InlineData("ecdsa-p256")]
    [InlineData("ecdsa-p384")]
    [InlineData("rsa-pss")]
    public void RSA_PSS_and_ECDSA_signatures_verify(string algorithm)
    {
        using X509Certificate2 ca = CreateCa(algorithm);
        using X509Certificate2 other = CreateCa(algorithm);
        var builder = new CertificateRevocationListBuilder();
        builder.AddEntry(new byte[] { 0x01, 0x02 }, Now.AddMinutes(-1));
        byte[] der = algorithm == "rsa-pss"
            ? builder.Build(ca, new BigInteger(9), Now.AddDays(1), HashAlgorithmName.SHA384, RSASignaturePadding.Pss)
            : builder.Build(ca, new BigInteger(9), Now.AddDays(1), HashAlgorithmName.SHA256);

        CertificateRevocationList crl = CertificateRevocationList.Parse(der);

        Assert.True(crl.IsSignedBy(ca));
        Assert.False(crl.IsSignedBy(other)); // same name, other key
        Assert.NotNull(crl.FindRevoked(new byte[] { 0x00, 0x01, 0x02 }));
    }

    [Fact]
    public void Adding_a_CRL_needs_a_trusted_issuer_and_a_valid_signature()
    {
        var untrusting = new CasbConfiguration();
        CasbConfiguration trusting = TestConfigurations.Trusting(_lab);
        CertificateRevocationList crl = CertificateRevocationList.Parse(_lab.IntermediateCrl);
        CertificateRevocationList forged = CertificateRevocationList.Parse(TestConfigurations.ForgedIntermediateCrl(_lab));

        Assert.Equal("CrlIssuerNotTrusted", Assert.Throws<CasbException>(() => RevocationLists.Add(untrusting, crl, false, Now)).ErrorId);
        Assert.Equal("CrlSignatureInvalid", Assert.Throws<CasbException>(() => RevocationLists.Add(trusting, forged, true, Now)).ErrorId);
        Assert.Empty(trusting.RevocationLists);

        (RevocationListEntry entry, RevocationListChange change) = RevocationLists.Add(trusting, crl, false, Now, "issuing.crl");

        Assert.Equal(RevocationListChange.Added, change);
        Assert.Equal(_lab.Intermediate.Thumbprint, entry.IssuerThumbprint);
        Assert.Equal("1", entry.CrlNumber);
        Assert.Equal(1, entry.RevokedCount);
        Assert.Equal(crl.Id, entry.Id);
    }

    [Theory]
    [InlineData("critical CRL number", "CRL number extension critical")]
    [InlineData("unknown critical extension", "critical extension 1.3.6.1.4.1.99999.7")]
    [InlineData("unknown critical entry extension", "critical extension 2.5.29.29")]
    public void A_CRL_that_RFC_5280_forbids_using_is_CrlMalformed_even_though_it_decodes_and_is_signed(string kind, string said)
    {
        byte[] der = TestPki.Crl(
            _lab.IntermediateWithKey, 4, Now.AddMinutes(-1), Now.AddDays(7), new[] { _lab.RevokedClient },
            criticalCrlNumber: kind == "critical CRL number",
            criticalExtension: kind == "unknown critical extension" ? "1.3.6.1.4.1.99999.7" : null,
            criticalEntryExtension: kind == "unknown critical entry extension" ? "2.5.29.29" : null);

        CasbException error = Assert.Throws<CasbException>(() => CertificateRevocationList.Parse(der, "malformed.crl"));

        Assert.Equal(CertificateRevocationList.MalformedErrorId, error.ErrorId);
        Assert.Equal(CasbErrorKind.InvalidData, error.Kind);
        Assert.Contains("malformed.crl", error.Message);
        Assert.Contains(said, error.Message);
    }

    [Fact]
    public void The_same_CRL_with_a_non_critical_CRL_number_is_fine()
    {
        byte[] der = TestPki.Crl(_lab.IntermediateWithKey, 4, Now.AddMinutes(-1), Now.AddDays(7), new[] { _lab.RevokedClient });

        CertificateRevocationList crl = CertificateRevocationList.Parse(der);

        Assert.Equal(new BigInteger(4), crl.CrlNumber);
        Assert.True(crl.IsSignedBy(_lab.Intermediate));
        Assert.NotNull(crl.FindRevoked(_lab.RevokedClient));
    }

    [Fact]
    public void A_SHA1_signed_CRL_verifies_but_is_added_only_when_the_store_allows_weak_certificate_cryptography()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab);
        CertificateRevocationList sha1 = CertificateRevocationList.Parse(
            TestPki.Crl(_lab.IntermediateWithKey, 4, Now.AddMinutes(-1), Now.AddDays(7), hash: HashAlgorithmName.SHA1));

        CasbException refused = Assert.Throws<CasbException>(() => RevocationLists.Add(configuration, sha1, force: true, Now));
        configuration.Settings.AllowWeakCertificateCryptography = true;
        (_, RevocationListChange change) = RevocationLists.Add(configuration, sha1, force: false, Now);

        Assert.True(sha1.IsSignedBy(_lab.Intermediate));
        Assert.Equal(RevocationLists.WeakSignatureErrorId, refused.ErrorId);
        Assert.Equal(CasbErrorKind.SecurityError, refused.Kind);
        Assert.Contains("SHA-1", refused.Message);
        Assert.Equal(RevocationListChange.Added, change);
    }

    [Fact]
    public void An_out_of_date_CRL_is_refused_unless_forced()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab);
        CertificateRevocationList stale = CertificateRevocationList.Parse(TestConfigurations.IntermediateCrl(_lab, 2, Now.AddDays(-1), Now.AddDays(-8)));

        Assert.Equal("CrlExpired", Assert.Throws<CasbException>(() => RevocationLists.Add(configuration, stale, false, Now)).ErrorId);
        Assert.Equal(RevocationListChange.Added, RevocationLists.Add(configuration, stale, true, Now).Change);
    }

    [Fact]
    public void A_newer_CRL_replaces_the_stored_one_and_an_older_one_is_refused_unless_forced()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab);
        CertificateRevocationList v2 = CertificateRevocationList.Parse(TestConfigurations.IntermediateCrl(_lab, 2, Now.AddDays(7)));
        CertificateRevocationList v3 = CertificateRevocationList.Parse(TestConfigurations.IntermediateCrl(_lab, 3, Now.AddDays(7), null, _lab.RevokedClient));

        RevocationLists.Add(configuration, v2, false, Now);
        Assert.Equal(RevocationListChange.Replaced, RevocationLists.Add(configuration, v3, false, Now).Change);
        Assert.Equal(RevocationListChange.Unchanged, RevocationLists.Add(configuration, v3, false, Now).Change);
        CasbException older = Assert.Throws<CasbException>(() => RevocationLists.Add(configuration, v2, false, Now));
        RevocationListEntry stored = Assert.Single(configuration.RevocationLists);

        Assert.Equal("CrlOlderThanStored", older.ErrorId);
        Assert.Equal("3", stored.CrlNumber);
        Assert.Equal(RevocationListChange.Replaced, RevocationLists.Add(configuration, v2, true, Now).Change);
        Assert.Equal("2", Assert.Single(configuration.RevocationLists).CrlNumber);
    }

    [Fact]
    public void CRLs_of_different_issuers_are_kept_side_by_side()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab).WithCrls(_lab.IntermediateCrl, _lab.RootCrl);

        Assert.Equal(2, configuration.RevocationLists.Count);
    }

    [Fact]
    public void A_CRL_scoped_to_CA_certificates_says_nothing_about_client_certificates()
    {
        byte[] caOnly = SignedCrlWithIssuingDistributionPoint(_lab, onlyCaCertificates: true);
        CertificateRevocationList crl = CertificateRevocationList.Parse(caOnly);
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(caOnly, _lab.RootCrl);

        CertificateValidationResult result = new CertificateValidator(configuration, new CrlCache(new HttpCrlSource())).Validate(_lab.Client, Now);

        Assert.True(crl.IsSignedBy(_lab.Intermediate));
        Assert.False(crl.Covers(_lab.Client));
        Assert.True(crl.Covers(_lab.Intermediate));
        Assert.Equal(new[] { CertificateFailureReason.RevocationUnknown }, result.Failures.Select(f => f.Reason));
    }

    /// <summary>A CRL with an issuingDistributionPoint extension, which CertificateRevocationListBuilder cannot write.</summary>
    private static byte[] SignedCrlWithIssuingDistributionPoint(LabPki lab, bool onlyCaCertificates) =>
        TestPki.Crl(lab.IntermediateWithKey, 1, Now.AddMinutes(-1), Now.AddDays(7),
            issuingDistributionPoint: idp => idp.WriteBoolean(onlyCaCertificates, new Asn1Tag(TagClass.ContextSpecific, 2)));

    private static X509Certificate2 CreateCa(string algorithm)
    {
        CertificateRequest request;
        IDisposable key;
        if (algorithm.StartsWith("ecdsa", StringComparison.Ordinal))
        {
            var ecdsa = ECDsa.Create(algorithm == "ecdsa-p256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
            request = new CertificateRequest("CN=Alt Algorithm CA", ecdsa, HashAlgorithmName.SHA256);
            key = ecdsa;
        }
        else
        {
            var rsa = RSA.Create(2048);
            request = new CertificateRequest("CN=Alt Algorithm CA", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
            key = rsa;
        }

        using (key)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.KeyCertSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            return request.CreateSelfSigned(Now.AddDays(-1), Now.AddDays(10));
        }
    }
}
