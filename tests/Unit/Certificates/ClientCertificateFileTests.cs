using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Certificates;

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
}
