using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// The lab's key files carry the published lab password (New-CasbSampleCertificate, build.ps1 -Task Demo): readable by
/// other users of the machine, they are a device certificate any of them can present to the demo gateway on loopback.
/// </summary>
public sealed class LabPkiFileModeTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private const string Password = "CasbLab!2026";
    private readonly LabPki _lab;
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-labmode-").FullName;

    public LabPkiFileModeTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [UnsupportedOSPlatform("windows")]
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_file_that_holds_a_private_key_is_readable_by_its_owner_only(bool overwritingReadableFiles)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (overwritingReadableFiles)
        {
            // New-CasbSampleCertificate -Force over an older lab written world-readable.
            foreach (string old in _lab.WriteTo(_directory, Password))
            {
                File.SetUnixFileMode(old, (UnixFileMode)0b110_100_100);
            }
        }

        IReadOnlyList<string> written = _lab.WriteTo(_directory, Password);

        string[] keyFiles = written.Where(HoldsPrivateKey).ToArray();
        Assert.Contains(keyFiles, f => Path.GetFileName(f) == "client.pfx");
        Assert.Contains(keyFiles, f => Path.GetFileName(f) == "gateway.pfx");
        Assert.All(keyFiles, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
    }

    private static bool HoldsPrivateKey(string path)
    {
        try
        {
            X509Certificate2Collection certificates = X509CertificateLoader.LoadPkcs12Collection(File.ReadAllBytes(path), Password);
            return certificates.Any(c => c.HasPrivateKey);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }
}
