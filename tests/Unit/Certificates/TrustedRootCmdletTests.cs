using System.Collections.ObjectModel;
using System.Management.Automation;
using CasbCore.Certificates;
using CasbModule.Tests.Cmdlets;
using CasbModule.Types;

namespace CasbModule.Tests.Certificates;

/// <summary>Binding tests: the trusted-root cmdlets hosted in-process, as an admin's pipeline uses them.</summary>
public sealed class TrustedRootCmdletTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private readonly LabPki _pki;
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-rootcmdlets-").FullName;
    private readonly PowerShellHost _host = new();

    public TrustedRootCmdletTests(LabPkiFixture fixture) => _pki = fixture.Lab;

    private string StorePath => Path.Combine(_directory, "store");

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Certificates_piped_in_bind_to_Certificate_and_come_back_as_CasbTrustedRoot()
    {
        Collection<PSObject> output = Run(
            "param($c, $s) $c | Add-CasbTrustedRoot -StorePath $s",
            new object[] { new[] { _pki.Root, _pki.Intermediate }, StorePath }, out _);

        Assert.Equal(
            new[] { (_pki.Root.Thumbprint, "Root"), (_pki.Intermediate.Thumbprint, "Intermediate") },
            output.Select(o => o.BaseObject).Cast<CasbTrustedRoot>().Select(r => (r.Thumbprint, r.Kind.ToString())));
    }

    [Fact]
    public void Get_piped_to_Remove_binds_the_thumbprint_by_property_name()
    {
        Run("param($c, $s) $c | Add-CasbTrustedRoot -StorePath $s | Out-Null", new object[] { new[] { _pki.Root, _pki.UntrustedRoot }, StorePath }, out _);

        Collection<PSObject> removed = Run(
            "param($s) Get-CasbTrustedRoot -StorePath $s -Subject '*Untrusted*' | Remove-CasbTrustedRoot -StorePath $s -Confirm:$false -PassThru",
            new object[] { StorePath }, out _);
        Collection<PSObject> left = Run("param($s) Get-CasbTrustedRoot -StorePath $s", new object[] { StorePath }, out _);

        Assert.Equal(_pki.UntrustedRoot.Thumbprint, Assert.IsType<CasbTrustedRoot>(Assert.Single(removed).BaseObject).Thumbprint);
        Assert.Equal(_pki.Root.Thumbprint, Assert.IsType<CasbTrustedRoot>(Assert.Single(left).BaseObject).Thumbprint);
    }

    [Fact]
    public void A_leaf_in_a_multi_file_call_is_one_non_terminating_error_with_the_stable_id()
    {
        string root = Path.Combine(_directory, "root.pem");
        string leaf = Path.Combine(_directory, "leaf.pem");
        File.WriteAllText(root, _pki.Root.ExportCertificatePem());
        File.WriteAllText(leaf, _pki.Client.ExportCertificatePem());

        Collection<PSObject> output = Run(
            "param($f, $s) Add-CasbTrustedRoot -LiteralPath $f -StorePath $s", new object[] { new[] { leaf, root }, StorePath }, out ErrorRecord[] errors);

        ErrorRecord error = Assert.Single(errors);
        Assert.Equal("NotACertificateAuthority,CasbModule.Cmdlets.AddCasbTrustedRootCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Equal(leaf, error.TargetObject);
        Assert.Equal(_pki.Root.Thumbprint, Assert.IsType<CasbTrustedRoot>(Assert.Single(output).BaseObject).Thumbprint);
    }

    private Collection<PSObject> Run(string script, object[] arguments, out ErrorRecord[] errors)
    {
        var variables = new Dictionary<string, object?>();
        for (int i = 0; i < arguments.Length; i++)
        {
            variables["arg" + i] = arguments[i];
        }

        // The scripts declare param(...); the host sets variables, so bind them positionally through a wrapper.
        string call = "& { " + script + " } " + string.Join(" ", arguments.Select((_, i) => "$arg" + i));
        (Collection<PSObject> output, IReadOnlyList<ErrorRecord> errorList) = _host.Run(call, variables);
        errors = errorList.ToArray();
        return output;
    }
}
