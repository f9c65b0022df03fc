using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CasbCore;
using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

public sealed class CertificateFileTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private readonly LabPki _pki;
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-certfile-").FullName;

    public CertificateFileTests(LabPkiFixture fixture) => _pki = fixture.Lab;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Reads_a_single_PEM_certificate()
    {
        X509Certificate2Collection result = CertificateFile.Read(Write("root.pem", _pki.Root.ExportCertificatePem()));

        Assert.Equal(_pki.Root.Thumbprint, Assert.Single(result).Thumbprint);
    }

    [Fact]
    public void Reads_every_certificate_of_a_PEM_bundle_with_CRLF_and_OpenSSL_text_around_the_blocks()
    {
        string text = "subject=CN = Casb Lab Issuing CA\r\n" + _pki.Intermediate.ExportCertificatePem().ReplaceLineEndings("\r\n")
            + "\r\n\r\nissuer=...\r\n" + _pki.Root.ExportCertificatePem() + "\n";

        X509Certificate2Collection result = CertificateFile.Read(Write("chain.pem", text));

        Assert.Equal(new[] { _pki.Intermediate.Thumbprint, _pki.Root.Thumbprint }, result.Select(c => c.Thumbprint));
    }

    [Theory]
    [InlineData("utf-8-bom")]
    [InlineData("utf-16le")]
    [InlineData("utf-16be")]
    public void Reads_PEM_saved_with_a_byte_order_mark(string encoding)
    {
        Encoding textEncoding = encoding switch
        {
            "utf-8-bom" => new UTF8Encoding(encoderShouldEmitUTF8Identifier: true),
            "utf-16le" => new UnicodeEncoding(bigEndian: false, byteOrderMark: true),
            _ => new UnicodeEncoding(bigEndian: true, byteOrderMark: true),
        };
        byte[] content = textEncoding.GetPreamble().Concat(textEncoding.GetBytes(_pki.Root.ExportCertificatePem())).ToArray();

        X509Certificate2Collection result = CertificateFile.Read(Write("root-" + encoding + ".pem", content));

        Assert.Equal(_pki.Root.Thumbprint, Assert.Single(result).Thumbprint);
    }

    [Fact]
    public void Reads_a_DER_certificate()
    {
        X509Certificate2Collection result = CertificateFile.Read(Write("root.cer", _pki.Root.RawData));

        Assert.Equal(_pki.Root.Thumbprint, Assert.Single(result).Thumbprint);
    }

    [Fact]
    public void Reads_PKCS7_bundles_in_DER_and_PEM()
    {
        byte[] p7b = new X509Certificate2Collection(new[] { _pki.Root, _pki.Intermediate }).Export(X509ContentType.Pkcs7)!;

        X509Certificate2Collection der = CertificateFile.Read(Write("chain.p7b", p7b));
        X509Certificate2Collection pem = CertificateFile.Read(Write("chain.p7c", PemEncoding.WriteString("PKCS7", p7b)));

        string[] expected = new[] { _pki.Intermediate.Thumbprint, _pki.Root.Thumbprint }.Order().ToArray();
        Assert.Equal(expected, der.Select(c => c.Thumbprint).Order());
        Assert.Equal(expected, pem.Select(c => c.Thumbprint).Order());
    }

    public static TheoryData<string, string> BadFiles() => new()
    {
        { "empty", "empty" },
        { "whitespace", "empty" },
        { "text", "neither PEM text nor DER" },
        { "truncated-der", "truncated or malformed" },
        { "trailing-junk", "unexpected byte" },
        { "damaged-pem", "no complete, correctly base64-encoded" },
        { "private-key-pem", "'PRIVATE KEY', not a certificate" },
        { "crl-der", "not an X.509 certificate" },
        { "pfx", "PKCS#12 (PFX)" },
        { "empty-pkcs7", "contains no certificates" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void An_unreadable_file_is_CertificateUnreadable_naming_the_file_and_why(string kind, string why)
    {
        byte[] content = kind switch
        {
            "empty" => Array.Empty<byte>(),
            "whitespace" => " \r\n\t "u8.ToArray(),
            "text" => "hello, this is not a certificate"u8.ToArray(),
            "truncated-der" => _pki.Root.RawData[..200],
            "trailing-junk" => _pki.Root.RawData.Concat(new byte[] { 0x30, 0x03, 0x02, 0x01, 0x01 }).ToArray(),
            "damaged-pem" => "-----BEGIN CERTIFICATE-----\nMIIB%%%notbase64\n-----END CERTIFICATE-----\n"u8.ToArray(),
            "private-key-pem" => Encoding.ASCII.GetBytes(PemEncoding.WriteString("PRIVATE KEY", RandomNumberGenerator.GetBytes(48))),
            "crl-der" => _pki.IntermediateCrl,
            "pfx" => _pki.Client.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, "x"),
            "empty-pkcs7" => new X509Certificate2Collection().Export(X509ContentType.Pkcs7)!,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        string path = Write(kind + ".cer", content);

        CasbException error = Assert.Throws<CasbException>(() => CertificateFile.Read(path));

        Assert.Equal("CertificateUnreadable", error.ErrorId);
        Assert.Equal(CasbErrorKind.InvalidData, error.Kind);
        Assert.Contains(path, error.Message);
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void A_missing_file_is_CertificateFileNotFound()
    {
        string path = Path.Combine(_directory, "no-such-dir", "root.pem");

        CasbException error = Assert.Throws<CasbException>(() => CertificateFile.Read(path));

        Assert.Equal("CertificateFileNotFound", error.ErrorId);
        Assert.Equal(path, error.Target);
    }

    [Fact]
    public void Reads_a_modern_PFX_and_a_legacy_3DES_SHA1_PFX_with_their_keys()
    {
        string modern = Write("modern.pfx", _pki.Client.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, "pw"));
        string legacy = Write("legacy.pfx", _pki.Client.ExportPkcs12(Pkcs12ExportPbeParameters.Pkcs12TripleDesSha1, "Microsoft"));

        X509Certificate2 fromModern = Assert.Single(CertificateFile.ReadPkcs12(modern, "pw", X509KeyStorageFlags.DefaultKeySet));
        X509Certificate2 fromLegacy = Assert.Single(CertificateFile.ReadPkcs12(legacy, "Microsoft", X509KeyStorageFlags.DefaultKeySet));

        Assert.True(fromModern.HasPrivateKey);
        Assert.True(fromLegacy.HasPrivateKey);
        Assert.Equal(_pki.Client.Thumbprint, fromLegacy.Thumbprint);
    }

    [Fact]
    public void A_wrong_PFX_password_is_PfxPasswordInvalid()
    {
        string path = Write("client.pfx", _pki.Client.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, "right"));

        CasbException error = Assert.Throws<CasbException>(() => CertificateFile.ReadPkcs12(path, "wrong", X509KeyStorageFlags.DefaultKeySet));

        Assert.Equal("PfxPasswordInvalid", error.ErrorId);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_certificate_file_read_as_PFX_is_CertificateUnreadable()
    {
        string path = Write("root.cer", _pki.Root.RawData);

        Assert.False(CertificateFile.IsPkcs12(_pki.Root.RawData));
        Assert.Equal("CertificateUnreadable",
            Assert.Throws<CasbException>(() => CertificateFile.ReadPkcs12(path, null, X509KeyStorageFlags.DefaultKeySet)).ErrorId);
    }

    private string Write(string name, string text) => Write(name, Encoding.ASCII.GetBytes(text));

    private string Write(string name, byte[] content)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
