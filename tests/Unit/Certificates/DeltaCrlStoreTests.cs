using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbModule.Tests.Cmdlets;
using CasbModule.Types;

namespace CasbModule.Tests.Certificates;

/// <summary>What Add-, Get- and Remove-CasbCertificateRevocationList do with delta CRLs: the engine rules and the cmdlets.</summary>
public sealed class DeltaCrlStoreTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private const string DeltaUrl = "http://127.0.0.1:9/issuing+.crl";

    private readonly LabPki _lab;
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-deltacrl-").FullName;
    private readonly PowerShellHost _host = new();

    public DeltaCrlStoreTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    private string StorePath => Path.Combine(_directory, "store");

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private byte[] Base(int number, params CrlEntry[] entries) => DeltaCrlBuilder.Base(_lab.IntermediateWithKey, number, entries, DeltaUrl);

    private byte[] Delta(int number, int baseNumber, params CrlEntry[] entries) => DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, number, baseNumber, entries);

    private static RevocationListChange Add(CasbConfiguration configuration, byte[] crl, bool force = false) =>
        RevocationLists.Add(configuration, CertificateRevocationList.Parse(crl), force, Now).Change;

    [Fact]
    public void A_delta_is_stored_beside_its_base_and_a_newer_delta_replaces_it_while_an_older_one_is_refused()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab);
        Add(configuration, Base(10));

        Assert.Equal(RevocationListChange.Added, Add(configuration, Delta(11, 10, CrlEntry.Of(_lab.Client))));
        Assert.Equal(RevocationListChange.Replaced, Add(configuration, Delta(12, 10)));
        CasbException older = Assert.Throws<CasbException>(() => Add(configuration, Delta(11, 10, CrlEntry.Of(_lab.Client))));

        Assert.Equal("CrlOlderThanStored", older.ErrorId);
        Assert.Equal(
            new[] { ("10", (string?)null), ("12", "10") },
            configuration.RevocationLists.Select(e => (e.CrlNumber!, e.BaseCrlNumber)).OrderBy(e => e.Item1));
    }

    [Theory]
    [InlineData("no base")]
    [InlineData("base older than BaseCRLNumber")]
    [InlineData("base of another CA")]
    public void A_delta_without_its_base_is_CrlDeltaWithoutBase_and_nothing_is_written(string kind)
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab);
        if (kind == "base older than BaseCRLNumber")
        {
            Add(configuration, Base(9));
        }
        else if (kind == "base of another CA")
        {
            RevocationLists.Add(configuration, CertificateRevocationList.Parse(_lab.RootCrl), true, Now);
        }

        int before = configuration.RevocationLists.Count;

        CasbException error = Assert.Throws<CasbException>(() => Add(configuration, Delta(11, 10), force: true));

        Assert.Equal(RevocationLists.DeltaWithoutBaseErrorId, error.ErrorId);
        Assert.Equal(CasbErrorKind.ObjectNotFound, error.Kind);
        Assert.Contains("BaseCRLNumber 10", error.Message);
        Assert.Equal(before, configuration.RevocationLists.Count);
        Assert.DoesNotContain(configuration.RevocationLists, e => e.BaseCrlNumber is not null);
    }

    [Fact]
    public void A_newer_base_does_not_replace_a_delta_and_drops_the_deltas_it_supersedes()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab);
        Add(configuration, Base(10));
        Add(configuration, Delta(11, 10));
        Add(configuration, Base(12));

        RevocationListEntry left = Assert.Single(configuration.RevocationLists);
        Assert.Equal("12", left.CrlNumber);
        Assert.Null(left.BaseCrlNumber);

        Add(configuration, Delta(13, 10)); // a base numbered at least 10 is stored: it completes base 12
        Assert.Equal(2, configuration.RevocationLists.Count);
    }

    [Fact]
    public void Removing_a_base_removes_the_deltas_only_it_anchors()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab);
        Add(configuration, Base(10));
        Add(configuration, Delta(11, 10));
        string baseId = configuration.RevocationLists.Single(e => e.BaseCrlNumber is null).Id;

        RevocationListEntry? removed = RevocationLists.Remove(configuration, baseId, out IReadOnlyList<RevocationListEntry> deltas);

        Assert.Equal(baseId, removed?.Id);
        Assert.Equal("11", Assert.Single(deltas).CrlNumber);
        Assert.Empty(configuration.RevocationLists);
    }

    [Fact]
    public void The_cmdlet_refuses_a_delta_without_its_base_with_the_error_id_and_writes_nothing()
    {
        Run("param($c, $s) $c | Add-CasbTrustedRoot -StorePath $s | Out-Null", [new[] { _lab.Root, _lab.Intermediate }, StorePath], out _);
        string delta = Path.Combine(_directory, "issuing+.crl");
        File.WriteAllBytes(delta, Delta(11, 10));
        string storeFile = Path.Combine(StorePath, CasbCore.Store.CasbStore.ConfigurationFileName);
        byte[] before = File.ReadAllBytes(storeFile);

        Collection<PSObject> output = Run(
            "param($f, $s) Add-CasbCertificateRevocationList -LiteralPath $f -StorePath $s -PassThru -Force", [delta, StorePath], out ErrorRecord[] errors);

        ErrorRecord error = Assert.Single(errors);
        Assert.Equal("CrlDeltaWithoutBase,CasbModule.Cmdlets.AddCasbCertificateRevocationListCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Empty(output);
        Assert.Equal(before, File.ReadAllBytes(storeFile));
        Assert.Empty(Run("param($s) Get-CasbCertificateRevocationList -StorePath $s", [StorePath], out _));
    }

    [Fact]
    public void Get_shows_which_entries_are_deltas_and_their_base_and_Remove_of_the_base_takes_its_delta()
    {
        Run("param($c, $s) $c | Add-CasbTrustedRoot -StorePath $s | Out-Null", [new[] { _lab.Root, _lab.Intermediate }, StorePath], out _);
        string complete = Path.Combine(_directory, "issuing.crl");
        string delta = Path.Combine(_directory, "issuing+.crl");
        File.WriteAllBytes(complete, Base(10, CrlEntry.Of(_lab.RevokedClient)));
        File.WriteAllBytes(delta, Delta(11, 10, CrlEntry.Of(_lab.Client, X509RevocationReason.CertificateHold)));
        Run("param($f, $s) Add-CasbCertificateRevocationList -LiteralPath $f -StorePath $s", [new[] { complete, delta }, StorePath], out ErrorRecord[] addErrors);

        CasbCertificateRevocationList[] listed = Run("param($s) Get-CasbCertificateRevocationList -StorePath $s", [StorePath], out _)
            .Select(o => (CasbCertificateRevocationList)o.BaseObject).OrderBy(c => c.CrlNumber).ToArray();
        Collection<PSObject> removed = Run(
            "param($s) Get-CasbCertificateRevocationList -StorePath $s | Where-Object { -not $_.IsDelta } | Remove-CasbCertificateRevocationList -Confirm:$false -PassThru",
            [StorePath], out _);

        Assert.Empty(addErrors);
        Assert.Equal(new[] { ("10", false, (string?)null), ("11", true, "10") }, listed.Select(c => (c.CrlNumber!, c.IsDelta, c.BaseCrlNumber)));
        Assert.Equal(new[] { "10", "11" }, removed.Select(o => ((CasbCertificateRevocationList)o.BaseObject).CrlNumber));
        Assert.Empty(Run("param($s) Get-CasbCertificateRevocationList -StorePath $s", [StorePath], out _));
    }

    private Collection<PSObject> Run(string script, object[] arguments, out ErrorRecord[] errors)
    {
        var variables = new Dictionary<string, object?>();
        for (int i = 0; i < arguments.Length; i++)
        {
            variables["arg" + i] = arguments[i];
        }

        string call = "& { " + script + " } " + string.Join(" ", arguments.Select((_, i) => "$arg" + i));
        (Collection<PSObject> output, IReadOnlyList<ErrorRecord> errorList) = _host.Run(call, variables);
        errors = errorList.ToArray();
        return output;
    }
}
