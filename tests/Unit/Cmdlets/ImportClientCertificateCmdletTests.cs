using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbModule.Tests.Certificates;

namespace CasbModule.Tests.Cmdlets;

/// <summary>Import-CasbClientCertificate's choice of the certificate of a PFX, as a user sees it (-WhatIf: no store is written).</summary>
public sealed class ImportClientCertificateCmdletTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private const string Password = "lab-pass";
    private readonly LabPki _lab;
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-import-").FullName;
    private readonly PowerShellHost _host = new();

    public ImportClientCertificateCmdletTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private (System.Collections.ObjectModel.Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors) Import(string location, params X509Certificate2[] certificates)
    {
        string file = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".pfx");
        File.WriteAllBytes(file, new X509Certificate2Collection(certificates).Export(X509ContentType.Pkcs12, Password)!);
        return _host.Run(
            "Import-CasbClientCertificate -FilePath $file -Password (ConvertTo-SecureString $password -AsPlainText -Force) -CertStoreLocation $location -WhatIf -Verbose 4>&1",
            new Dictionary<string, object?> { ["file"] = file, ["password"] = Password, ["location"] = location });
    }

    [Theory]
    [InlineData(@"Cert:\CurrentUser\My")]
    [InlineData("Nss:")]
    public void A_PFX_with_two_keyed_client_certificates_is_refused_whatever_their_order(string location)
    {
        foreach (X509Certificate2[] order in new[] { new[] { _lab.Client, _lab.RevokedClient }, new[] { _lab.RevokedClient, _lab.Client } })
        {
            (_, IReadOnlyList<ErrorRecord> errors) = Import(location, order);

            ErrorRecord error = Assert.Single(errors);
            Assert.StartsWith("PfxHasSeveralClientCertificates", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
            Assert.DoesNotContain(Password, error.ToString());
        }
    }

    [Fact]
    public void A_keyed_CA_before_the_client_certificate_does_not_stop_the_import()
    {
        (_, IReadOnlyList<ErrorRecord> errors) = Import(@"Cert:\CurrentUser\My", _lab.IntermediateWithKey, _lab.Client);

        Assert.Empty(errors);
    }

    [Theory]
    [InlineData(@"Cert:\CurrentUser\My")]
    [InlineData("Nss:")]
    public void A_PFX_whose_key_belongs_to_another_certificate_is_refused(string location)
    {
        string file = Path.Combine(_directory, "mismatch.pfx");
        File.WriteAllBytes(file, ClientCertificateFileTests.MismatchedPfx(_lab.Client, _lab.RevokedClient, Password));

        (_, IReadOnlyList<ErrorRecord> errors) = _host.Run(
            "Import-CasbClientCertificate -FilePath $file -Password (ConvertTo-SecureString $password -AsPlainText -Force) -CertStoreLocation $location -WhatIf",
            new Dictionary<string, object?> { ["file"] = file, ["password"] = Password, ["location"] = location });

        ErrorRecord error = Assert.Single(errors);
        Assert.StartsWith("PfxPrivateKeyMismatch", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
    }
}
