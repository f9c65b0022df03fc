using System.Security.Cryptography;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Store;
using CasbModule.Tests.Certificates;

namespace CasbModule.Tests.Catalogs;

/// <summary>
/// Import-CasbConfiguration stores a delta CRL only as Add-CasbCertificateRevocationList would: beside a complete CRL of the
/// same CA and scope (from the store or the file, in any order) numbered at least its BaseCRLNumber and below its own.
/// </summary>
public sealed class DeltaCrlImportTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private const string DeltaUrl = "http://127.0.0.1:9/issuing+.crl";

    private readonly LabPki _lab;
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-deltaimport-").FullName;

    public DeltaCrlImportTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private RevocationListEntry Base(int number, params CrlEntry[] entries) => Entry(DeltaCrlBuilder.Base(_lab.IntermediateWithKey, number, entries, DeltaUrl));

    private RevocationListEntry Delta(int number, int baseNumber, params CrlEntry[] entries) =>
        Entry(DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, number, baseNumber, entries));

    // As Export-CasbConfiguration writes a stored CRL; ConfigurationImport.Read fills in what it shows from the data.
    private RevocationListEntry Entry(byte[] der) => new()
    {
        Id = Convert.ToHexString(SHA256.HashData(der)),
        IssuerThumbprint = _lab.Intermediate.Thumbprint,
        AddedAt = DateTimeOffset.UtcNow,
        RawData = Convert.ToBase64String(der),
    };

    private ImportFile FileOf(params RevocationListEntry[] crls) =>
        ConfigurationImport.Read(CasbStore.Serialize(new CasbConfiguration { RevocationLists = [.. crls] }), "policies.json");

    /// <summary>A folder store trusting the lab CAs, holding <paramref name="crls"/> as Add-CasbCertificateRevocationList stores them.</summary>
    private CasbStore StoreWith(params RevocationListEntry[] crls)
    {
        var store = new CasbStore(Path.Combine(_directory, Guid.NewGuid().ToString("N")));
        store.Update(c =>
        {
            c.TrustedRoots.AddRange(TestConfigurations.Trusting(_lab).TrustedRoots);
            foreach (RevocationListEntry crl in crls)
            {
                RevocationLists.Add(c, CertificateRevocationList.Parse(Convert.FromBase64String(crl.RawData)), false, DateTimeOffset.UtcNow);
            }
        });
        return store;
    }

    private static void Import(CasbStore store, ImportFile file, bool replace = false, Func<ConfigurationChange, bool>? accept = null) =>
        store.Update(c =>
        {
            ConfigurationImport.Apply(c, file, ConfigurationImport.Plan(c, file, replace).Where(accept ?? (_ => true)).ToList());
            return c;
        });

    private static CasbException ImportFails(CasbStore store, ImportFile file, bool replace = false, Func<ConfigurationChange, bool>? accept = null)
    {
        byte[] before = store.ReadDocument()!;
        CasbException error = Assert.Throws<CasbException>(() => Import(store, file, replace, accept));
        Assert.Equal(before, store.ReadDocument());
        return error;
    }

    private static string[] Numbers(CasbStore store) =>
        store.Load().RevocationLists.Select(e => e.BaseCrlNumber is null ? e.CrlNumber! : $"{e.CrlNumber}/{e.BaseCrlNumber}").Order().ToArray();

    [Fact]
    public void A_delta_without_its_base_is_CrlDeltaWithoutBase_naming_the_CRL_and_nothing_is_written()
    {
        CasbStore store = StoreWith();
        RevocationListEntry delta = Delta(11, 10, CrlEntry.Of(_lab.Client));

        CasbException error = ImportFails(store, FileOf(delta));

        Assert.Equal(RevocationLists.DeltaWithoutBaseErrorId, error.ErrorId);
        Assert.Equal(CasbErrorKind.ObjectNotFound, error.Kind);
        Assert.Equal(delta.Id, error.Target);
        Assert.Contains($"'{delta.Id}' in 'policies.json'", error.Message);
        Assert.Contains("BaseCRLNumber 10", error.Message);
        Assert.Empty(store.Load().RevocationLists);
    }

    [Theory]
    [InlineData("base older than BaseCRLNumber in the file")]
    [InlineData("base older than BaseCRLNumber in the store")]
    [InlineData("base in the file declined at -Confirm")]
    [InlineData("base in the store, -Replace with a file without it")]
    public void A_delta_whose_base_the_import_does_not_leave_is_CrlDeltaWithoutBase(string kind)
    {
        RevocationListEntry delta = Delta(11, 10);
        RevocationListEntry base10 = Base(10);
        Func<ConfigurationChange, bool> all = _ => true;
        (CasbStore store, ImportFile file, bool replace, Func<ConfigurationChange, bool> accept) = kind switch
        {
            "base older than BaseCRLNumber in the file" => (StoreWith(), FileOf(Base(9), delta), false, all),
            "base older than BaseCRLNumber in the store" => (StoreWith(Base(9)), FileOf(delta), false, all),
            "base in the file declined at -Confirm" => (StoreWith(), FileOf(base10, delta), false, c => c.Name != base10.Id),
            _ => (StoreWith(base10), FileOf(delta), true, all),
        };

        Assert.Equal(RevocationLists.DeltaWithoutBaseErrorId, ImportFails(store, file, replace, accept).ErrorId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_delta_is_imported_beside_its_base_in_the_same_file_in_either_order(bool deltaFirst)
    {
        CasbStore store = StoreWith();
        RevocationListEntry base10 = Base(10);
        RevocationListEntry delta = Delta(11, 10, CrlEntry.Of(_lab.Client));

        Import(store, deltaFirst ? FileOf(delta, base10) : FileOf(base10, delta));

        Assert.Equal(["10", "11/10"], Numbers(store));
    }

    [Fact]
    public void A_delta_is_imported_beside_its_base_in_the_store()
    {
        CasbStore store = StoreWith(Base(10));

        Import(store, FileOf(Delta(11, 10)));

        Assert.Equal(["10", "11/10"], Numbers(store));
    }

    [Fact]
    public void Of_two_deltas_of_one_base_in_a_file_the_older_is_CrlOlderThanStored_naming_both()
    {
        CasbStore store = StoreWith();
        RevocationListEntry older = Delta(11, 10);
        RevocationListEntry newer = Delta(12, 10);

        CasbException error = ImportFails(store, FileOf(newer, Base(10), older));

        Assert.Equal("CrlOlderThanStored", error.ErrorId);
        Assert.Equal(older.Id, error.Target);
        Assert.Contains(newer.Id, error.Message);
        Assert.DoesNotContain("-Force", error.Message);
    }

    [Fact]
    public void A_delta_that_a_complete_CRL_of_the_file_supersedes_is_CrlOlderThanStored()
    {
        CasbStore store = StoreWith();
        RevocationListEntry delta = Delta(11, 10);

        CasbException error = ImportFails(store, FileOf(delta, Base(12)));

        Assert.Equal("CrlOlderThanStored", error.ErrorId);
        Assert.Equal(delta.Id, error.Target);
        Assert.Contains("CRL number 12", error.Message);
    }

    [Fact]
    public void An_export_of_a_store_with_a_delta_imports_into_an_empty_store()
    {
        CasbStore source = StoreWith(Base(10), Delta(11, 10));
        CasbStore target = StoreWith();

        Import(target, ConfigurationImport.Read(source.ReadDocument()!, "export.json"), replace: true);

        Assert.Equal(["10", "11/10"], Numbers(target));
    }
}
