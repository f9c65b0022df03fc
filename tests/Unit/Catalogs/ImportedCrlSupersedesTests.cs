using System.Security.Cryptography;
using CasbCore.Catalogs;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Store;
using CasbModule.Tests.Certificates;

namespace CasbModule.Tests.Catalogs;

/// <summary>
/// An imported CRL replaces the stored CRLs of its CA, scope and kind that it supersedes, as Add-CasbCertificateRevocationList
/// does. An import once kept the older complete (or delta) CRL beside the newer one: a store Add could never produce, whose
/// older CRL the validator still reads as current.
/// </summary>
public sealed class ImportedCrlSupersedesTests : IClassFixture<LabPkiFixture>
{
    private const string Freshest = "http://127.0.0.1:9/issuing+.crl";

    private readonly LabPki _lab;

    public ImportedCrlSupersedesTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    [Fact]
    public void An_imported_newer_complete_CRL_replaces_the_stored_older_one_as_Add_does()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] older = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 1, [], thisUpdate: now.AddHours(-2), nextUpdate: now.AddDays(30));
        byte[] newer = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 2, [], Freshest, thisUpdate: now.AddHours(-1), nextUpdate: now.AddDays(7));
        CasbConfiguration viaAdd = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl, older, newer);
        CasbConfiguration viaImport = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl, older);
        ImportFile file = CrlsOnly(Entry(newer));

        ConfigurationImport.Apply(viaImport, file, ConfigurationImport.Plan(viaImport, file, replace: false));

        Assert.Equal(Ids(viaAdd), Ids(viaImport));
        Assert.Equal(RevocationCheckMode.Required, viaImport.Settings.RevocationMode);
    }

    [Fact]
    public void An_imported_newer_delta_CRL_replaces_the_stored_older_delta_as_Add_does()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] complete = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], Freshest);
        byte[] olderDelta = DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, []);
        byte[] newerDelta = DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 12, 10, [CrlEntry.Of(_lab.Client)]);
        CasbConfiguration viaAdd = TestConfigurations.Trusting(_lab).WithCrls(_lab.RootCrl, complete, olderDelta, newerDelta);
        CasbConfiguration viaImport = TestConfigurations.Trusting(_lab).WithCrls(_lab.RootCrl, complete, olderDelta);
        ImportFile file = CrlsOnly(Entry(newerDelta));

        ConfigurationImport.Apply(viaImport, file, ConfigurationImport.Plan(viaImport, file, replace: false));

        Assert.Equal(Ids(viaAdd), Ids(viaImport));
    }

    // A file of CRLs only: without a settings object, which an import would apply too (the store's mode would become the default).
    private static ImportFile CrlsOnly(RevocationListEntry entry)
    {
        System.Text.Json.Nodes.JsonObject json = System.Text.Json.Nodes.JsonNode.Parse(CasbStore.Serialize(new CasbConfiguration { RevocationLists = [entry] }))!.AsObject();
        json.Remove("settings");
        return ConfigurationImport.Read(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), "crls.json");
    }

    private static string[] Ids(CasbConfiguration configuration) =>
        configuration.RevocationLists.Select(e => e.Id.ToUpperInvariant()).Order(StringComparer.Ordinal).ToArray();

    // As Export-CasbConfiguration writes a stored CRL.
    private RevocationListEntry Entry(byte[] der) => new()
    {
        Id = Convert.ToHexString(SHA256.HashData(der)),
        IssuerThumbprint = _lab.Intermediate.Thumbprint,
        AddedAt = DateTimeOffset.UtcNow,
        RawData = Convert.ToBase64String(der),
    };
}
