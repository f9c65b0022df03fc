using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Certificates;
using CsCheck;

namespace CasbModule.Tests.Certificates;

public sealed class ClientCertificateFileTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private const string Password = "lab-pass";
    private readonly LabPki _lab;
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-certfile-").FullName;

    public ClientCertificateFileTests(LabPkiFixture fixture)
    {
        _lab = fixture.Lab;
        _lab.WriteTo(_directory, Password);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string File(string name) => Path.Combine(_directory, name);

    [Theory]
    [InlineData("client.pfx")]
    [InlineData("client-legacy-3des.pfx")]
    [InlineData("client.pem")]
    public void A_client_certificate_loads_from_PFX_and_PEM(string name)
    {
        using X509Certificate2 certificate = ClientCertificateFile.Load(File(name), Password);

        Assert.Equal(_lab.Client.Thumbprint, certificate.Thumbprint);
    }

    [Fact]
    public void A_DER_certificate_loads()
    {
        System.IO.File.WriteAllBytes(File("client.cer"), _lab.Client.RawData);

        using X509Certificate2 certificate = ClientCertificateFile.Load(File("client.cer"));

        Assert.Equal(_lab.Client.Thumbprint, certificate.Thumbprint);
    }

    [Fact]
    public void A_PFX_with_its_chain_yields_the_leaf_with_the_key()
    {
        using X509Certificate2 certificate = ClientCertificateFile.Load(File("revoked-client.pfx"), Password);

        Assert.Equal(_lab.RevokedClient.Thumbprint, certificate.Thumbprint);
        Assert.True(certificate.HasPrivateKey);
    }

    [Fact]
    public void A_missing_file_is_CertificateFileNotFound()
    {
        Assert.Equal("CertificateFileNotFound", Assert.Throws<CasbException>(() => ClientCertificateFile.Load(File("nope.pfx"))).ErrorId);
    }

    [Fact]
    public void A_wrong_or_missing_password_is_PfxPasswordInvalid()
    {
        CasbException wrong = Assert.Throws<CasbException>(() => ClientCertificateFile.Load(File("client.pfx"), "wrong"));
        CasbException missing = Assert.Throws<CasbException>(() => ClientCertificateFile.Load(File("client.pfx")));

        Assert.Equal("PfxPasswordInvalid", wrong.ErrorId);
        Assert.Equal("PfxPasswordInvalid", missing.ErrorId);
        Assert.Contains("-Password", missing.Message);
    }

    [Theory]
    [InlineData("empty", "empty")]
    [InlineData("truncated-der", "truncated or malformed")]
    [InlineData("garbage", "neither PEM text nor DER")]
    [InlineData("text", "not a certificate")]
    [InlineData("key-only-pem", "'PRIVATE KEY', not a certificate")]
    public void A_truncated_or_garbage_file_is_CertificateUnreadable_and_says_why(string kind, string why)
    {
        byte[] content = kind switch
        {
            "empty" => Array.Empty<byte>(),
            "truncated-der" => _lab.Client.RawData[..100],
            "garbage" => new byte[] { 0x01, 0x02, 0xFF, 0xFE, 0x00, 0x80 },
            "text" => "hello, I am not a certificate"u8.ToArray(),
            _ => System.Text.Encoding.ASCII.GetBytes(PemEncoding.WriteString("PRIVATE KEY", RandomNumberGenerator.GetBytes(64))),
        };
        System.IO.File.WriteAllBytes(File("bad.crt"), content);

        CasbException error = Assert.Throws<CasbException>(() => ClientCertificateFile.Load(File("bad.crt")));

        Assert.Equal("CertificateUnreadable", error.ErrorId);
        Assert.Contains("bad.crt", error.Message);
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void A_legacy_RC2_40_PFX_like_Microsofts_sample_loads_and_validates_against_its_CA()
    {
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        using X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(fixtures, "legacy-rc2-40-ca.pem"));
        var configuration = new CasbCore.Model.CasbConfiguration();
        configuration.Settings.RevocationMode = CasbCore.Model.RevocationCheckMode.Optional;
        configuration.TrustedRoots.Add(TestConfigurations.Entry(ca, CasbCore.Model.TrustedRootKind.Root));

        using X509Certificate2 certificate = ClientCertificateFile.Load(Path.Combine(fixtures, "legacy-rc2-40.pfx"), "Microsoft");
        CertificateValidationResult result = new CertificateValidator(configuration).Validate(certificate, DateTimeOffset.UtcNow);

        Assert.True(certificate.HasPrivateKey);
        Assert.True(result.IsValid, string.Join("; ", result.Failures.Select(f => f.Message)));
        Assert.Equal("legacy.vendor@contoso.com", result.Principal);
        Assert.Contains(DeviceTags.ValidClientCertificate, result.DeviceTags);
    }

    private string Pfx(string name, IEnumerable<X509Certificate2> certificates)
    {
        System.IO.File.WriteAllBytes(File(name), new X509Certificate2Collection(certificates.ToArray()).Export(X509ContentType.Pkcs12, Password)!);
        return File(name);
    }

    [Fact]
    public void A_PFX_with_two_keyed_client_certificates_is_PfxHasSeveralClientCertificates_in_either_order()
    {
        foreach (X509Certificate2[] order in new[] { new[] { _lab.Client, _lab.RevokedClient }, new[] { _lab.RevokedClient, _lab.Client } })
        {
            CasbException error = Assert.Throws<CasbException>(() => ClientCertificateFile.Load(Pfx("two.pfx", order), Password));

            Assert.Equal("PfxHasSeveralClientCertificates", error.ErrorId);
            Assert.Equal(CasbErrorKind.InvalidData, error.Kind);
            Assert.Contains(_lab.Client.Thumbprint, error.Message);
            Assert.Contains(_lab.RevokedClient.Thumbprint, error.Message);
            Assert.DoesNotContain(Password, error.Message);
        }
    }

    [Fact]
    public void A_keyed_CA_or_a_keyed_certificate_without_client_authentication_before_the_client_certificate_does_not_hide_it()
    {
        using X509Certificate2 afterCa = ClientCertificateFile.Load(Pfx("ca-first.pfx", [_lab.IntermediateWithKey, _lab.Client]), Password);
        using X509Certificate2 afterServer = ClientCertificateFile.Load(Pfx("server-first.pfx", [_lab.ServerAuthOnlyClient, _lab.Client]), Password);

        Assert.Equal(_lab.Client.Thumbprint, afterCa.Thumbprint);
        Assert.Equal(_lab.Client.Thumbprint, afterServer.Thumbprint);
    }

    [Fact]
    public void Which_certificate_of_a_PFX_is_the_client_certificate_never_depends_on_the_order_of_the_file()
    {
        const string Unreadable = "CertificateUnreadable";
        X509Certificate2[] pool = [_lab.Client, _lab.RevokedClient, _lab.ServerAuthOnlyClient, _lab.IntermediateWithKey, _lab.Root, _lab.Intermediate];
        Gen.Int[1, (1 << pool.Length) - 1].Select(Gen.Int, Gen.Int).Sample((mask, seed1, seed2) =>
        {
            X509Certificate2[] subset = pool.Where((_, i) => (mask & (1 << i)) != 0).ToArray();
            var random1 = new Random(seed1);
            var random2 = new Random(seed2);
            // CsCheck samples on several threads at once: each sample writes files of its own.
            string sample = Guid.NewGuid().ToString("N");
            string first = Outcome(Pfx($"{sample}-a.pfx", subset.OrderBy(_ => random1.Next()).ToList()));
            string second = Outcome(Pfx($"{sample}-b.pfx", subset.OrderBy(_ => random2.Next()).ToList()));
            // Some orders of several keyed certificates make a file that .NET's PKCS#12 export and loader then refuse ("A
            // certificate referenced a private key which was already referenced"), before the module chooses anything: the
            // property is about that choice (1,200 cases passed with this; CI once drew a CA-only file, now chosen by chain).
            return first == second || first == Unreadable || second == Unreadable;
        }, iter: 40);

        string Outcome(string file)
        {
            try
            {
                using X509Certificate2 chosen = ClientCertificateFile.Load(file, Password);
                return chosen.Thumbprint;
            }
            catch (CasbException ex)
            {
                return ex.ErrorId;
            }
        }
    }

    /// <summary>A PFX whose key bag carries another certificate's key under the client certificate's local key id.</summary>
    internal static byte[] MismatchedPfx(X509Certificate2 certificate, X509Certificate2 keyOwner, string password)
    {
        var contents = new System.Security.Cryptography.Pkcs.Pkcs12SafeContents();
        var keyId = new System.Security.Cryptography.Pkcs.Pkcs9LocalKeyId(new byte[] { 1 });
        contents.AddCertificate(X509CertificateLoader.LoadCertificate(certificate.RawData)).Attributes.Add(keyId);
        using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)keyOwner.GetRSAPrivateKey() ?? keyOwner.GetECDsaPrivateKey()!;
        contents.AddShroudedKey(key, password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 2000)).Attributes.Add(keyId);
        var builder = new System.Security.Cryptography.Pkcs.Pkcs12Builder();
        builder.AddSafeContentsUnencrypted(contents);
        builder.SealWithMac(password, HashAlgorithmName.SHA256, 2000);
        return builder.Encode();
    }

    [Fact]
    public void A_PFX_whose_key_belongs_to_another_certificate_is_PfxPrivateKeyMismatch()
    {
        System.IO.File.WriteAllBytes(File("mismatch.pfx"), MismatchedPfx(_lab.Client, _lab.RevokedClient, Password));

        CasbException error = Assert.Throws<CasbException>(() => ClientCertificateFile.Load(File("mismatch.pfx"), Password));

        Assert.Equal("PfxPrivateKeyMismatch", error.ErrorId);
        Assert.Equal(CasbErrorKind.InvalidData, error.Kind);
        Assert.Contains(_lab.Client.Thumbprint, error.Message);
        Assert.DoesNotContain(Password, error.Message);
    }
}
