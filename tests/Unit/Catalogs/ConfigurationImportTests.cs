using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;
using CsCheck;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Catalogs;

public sealed class ConfigurationImportTests
{
    private static ImportFile FileOf(CasbConfiguration configuration) =>
        ConfigurationImport.Read(CasbStore.Serialize(configuration), "policies.json");

    [Fact]
    public void A_merge_plans_per_item_in_registry_order_and_applies_only_what_was_accepted()
    {
        CasbConfiguration source = Seed();
        source.Apps[0].Upstream = "https://127.0.0.1:9999";
        source.Settings.DefaultAction = DefaultAction.Block;
        CasbConfiguration target = Seed();
        target.Apps.RemoveAt(1);
        target.Groups.Add(new GroupEntry { Name = "Local" });

        IReadOnlyList<ConfigurationChange> plan = ConfigurationImport.Plan(target, FileOf(source), replace: false);

        Assert.Equal(
            ["Updated App Microsoft Online Services", "Added App Azure Portal", "Updated Settings Gateway settings"],
            plan.Select(c => $"{c.Change} {c.ItemType} {c.Name}"));

        ConfigurationImport.Apply(target, FileOf(source), plan.Where(c => c.ItemType == "App"));
        Assert.Equal("https://127.0.0.1:9999", target.Apps[0].Upstream);
        Assert.Equal(["Microsoft Online Services", "Azure Portal"], target.Apps.Select(a => a.Name));
        Assert.Equal(DefaultAction.Allow, target.Settings.DefaultAction); // not accepted
        Assert.Equal(["Vendors", "Local"], target.Groups.Select(g => g.Name)); // merge keeps what the file lacks
    }

    [Fact]
    public void A_replace_removes_what_the_file_lacks_and_the_result_equals_the_file()
    {
        CasbConfiguration source = Seed();
        CasbConfiguration target = Seed();
        target.Groups.Add(new GroupEntry { Name = "Local" });
        target.Settings.ActivityRetentionDays = 5;
        ImportFile file = FileOf(source);

        IReadOnlyList<ConfigurationChange> plan = ConfigurationImport.Plan(target, file, replace: true);
        ConfigurationImport.Apply(target, file, plan);

        Assert.Equal(["Removed Group Local", "Updated Settings Gateway settings"], plan.Select(c => $"{c.Change} {c.ItemType} {c.Name}"));
        target.Revision = source.Revision;
        Assert.Equal(CasbStore.Serialize(source), CasbStore.Serialize(target));
        Assert.Empty(ConfigurationImport.Plan(target, file, replace: true));
    }

    [Fact]
    public void A_result_the_validator_refuses_is_refused_with_its_id()
    {
        CasbConfiguration target = Seed();
        ImportFile file = ConfigurationImport.Read(System.Text.Encoding.UTF8.GetBytes(
            """{ "schemaVersion": 1, "accessPolicies": [ { "name": "P", "action": "Block", "apps": [ "Nowhere" ] } ] }"""), "p.json");

        Assert.Equal("UnknownApp", Assert.Throws<CasbException>(() =>
            ConfigurationImport.Apply(target, file, ConfigurationImport.Plan(target, file, replace: false))).ErrorId);
    }

    [Theory]
    [InlineData(" Microsoft Online Services")]
    [InlineData("Microsoft Online Services ")]
    [InlineData("Microsoft Online Services\u00a0")]
    public void A_name_the_cmdlets_would_have_trimmed_never_leaves_an_imported_block_policy_off_its_own_app(string name)
    {
        // Policy as code: a file edited by hand names the app and refers to it the same way, with a space the cmdlets trim.
        CasbConfiguration source = Seed();
        source.Apps[0].Name = name;
        source.AccessPolicies[0].Apps = [name];
        CasbConfiguration target = new();
        ImportFile file = FileOf(source);

        try
        {
            ConfigurationImport.Apply(target, file, ConfigurationImport.Plan(target, file, replace: true));
        }
        catch (CasbException ex) when (ex.ErrorId == "InvalidName")
        {
            return; // refused, nothing written: fine
        }

        // Accepted: then the app's block policy applies to the app, as the file says (no certificate: Block).
        AppEntry app = Assert.Single(target.Apps, a => a.Hostnames.Contains("mos.contoso.local"));
        Assert.Equal(AccessAction.Block, Decide(target, Request(app: app.Name)).Action);
    }

    [Fact]
    public void Whatever_the_white_space_around_an_app_name_a_valid_configuration_applies_the_apps_block_policy_to_it()
    {
        // The validator and the engine must agree on what a policy's app reference names: valid means enforced.
        Gen<string> space = Gen.String[Gen.Char[" \t\u00a0\u2003\u3000"], 0, 2];
        Gen.Select(space, space, space, space).Sample((before, after, refBefore, refAfter) =>
        {
            CasbConfiguration configuration = Seed();
            configuration.Apps[0].Name = before + "Mail" + after;
            configuration.AccessPolicies[0].Apps = [refBefore + "mail" + refAfter];
            if (ConfigurationValidator.Validate(configuration).Count > 0)
            {
                return;
            }

            Assert.Equal(AccessAction.Block, Decide(configuration, Request(app: configuration.Apps[0].Name)).Action);
        });
    }

    [Fact]
    public void An_import_never_adds_a_second_item_the_cmdlets_would_call_by_the_same_name()
    {
        // "Vendors " is "Vendors" to New-CasbGroup and Get-CasbGroup (names are stored trimmed): after the import either
        // the store's group is the one updated or the import is refused.
        foreach (string imported in new[] { "Vendors ", " Vendors", "Vendors\u00a0", "\u2003VENDORS" })
        {
            CasbConfiguration target = Seed();
            CasbConfiguration source = new() { Groups = [new GroupEntry { Name = imported, Members = ["new@contoso.com"] }] };
            ImportFile file = FileOf(source);
            try
            {
                ConfigurationImport.Apply(target, file, ConfigurationImport.Plan(target, file, replace: false));
            }
            catch (CasbException ex) when (ex.ErrorId is "InvalidName" or "DuplicateName")
            {
                continue;
            }

            Assert.Single(target.Groups);
        }
    }

    [Fact]
    public void A_trusted_root_named_by_its_SHA256_thumbprint_is_the_one_the_store_has_and_one_removal_untrusts_it()
    {
        // Add-CasbTrustedRoot keys a root by its SHA-1 thumbprint; an import accepts a file that names it by SHA-256.
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            "CN=Import Test CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        CasbConfiguration target = new() { TrustedRoots = [CasbCore.Certificates.TrustedRootCatalog.CreateEntry(ca, DateTimeOffset.UtcNow)] };
        TrustedRootEntry bySha256 = CasbCore.Certificates.TrustedRootCatalog.CreateEntry(ca, DateTimeOffset.UtcNow);
        bySha256.Thumbprint = ca.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
        ImportFile file = FileOf(new CasbConfiguration { TrustedRoots = [bySha256] });

        try
        {
            ConfigurationImport.Apply(target, file, ConfigurationImport.Plan(target, file, replace: false));
        }
        catch (CasbException ex) when (ex.ErrorId == ConfigurationImport.InvalidFileErrorId)
        {
            return; // refused: fine
        }

        // The admin removes the CA by the thumbprint Get-CasbTrustedRoot shows for it: nothing may still trust it.
        Assert.Single(target.TrustedRoots);
        CasbCore.Certificates.TrustedRootCatalog.Remove(target, ca.Thumbprint);
        Assert.Empty(CasbCore.Certificates.TrustedRootCatalog.ToCollection(target));
    }

    [Fact]
    public void One_CA_twice_in_a_file_under_its_two_thumbprints_is_ImportFileInvalid()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            "CN=Twice CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        TrustedRootEntry bySha1 = CasbCore.Certificates.TrustedRootCatalog.CreateEntry(ca, DateTimeOffset.UtcNow);
        TrustedRootEntry bySha256 = CasbCore.Certificates.TrustedRootCatalog.CreateEntry(ca, DateTimeOffset.UtcNow);
        bySha256.Thumbprint = ca.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToLowerInvariant();

        CasbException error = Assert.Throws<CasbException>(() => FileOf(new CasbConfiguration { TrustedRoots = [bySha1, bySha256] }));

        Assert.Equal(ConfigurationImport.InvalidFileErrorId, error.ErrorId);
        Assert.Contains("appears twice", error.Message);
    }

    /// <summary>Each fact of a trusted root that the file states besides its certificate, set to a lie.</summary>
    public static TheoryData<string> TrustedRootLabels() => new() { "subject", "issuer", "kind", "notBefore", "notAfter" };

    [Theory]
    [MemberData(nameof(TrustedRootLabels))]
    public void An_imported_trusted_root_is_stored_with_its_certificate_facts_not_the_file_labels(string label)
    {
        // Get-CasbTrustedRoot -Subject, its Kind and IsExpired must describe the certificate the store trusts.
        using var ca = CasbModule.Tests.Certificates.TestPki.Issue(CasbModule.Tests.Certificates.CertificateSpec.Ca("CN=Fabrikam Evil CA"), null);
        TrustedRootEntry truth = CasbCore.Certificates.TrustedRootCatalog.CreateEntry(ca, DateTimeOffset.UtcNow);
        TrustedRootEntry labelled = CasbCore.Certificates.TrustedRootCatalog.CreateEntry(ca, truth.AddedAt);
        switch (label)
        {
            case "subject": labelled.Subject = "CN=Contoso Lab Root"; break;
            case "issuer": labelled.Issuer = "CN=Contoso Lab Root"; break;
            case "kind": labelled.Kind = TrustedRootKind.Intermediate; break;
            case "notBefore": labelled.NotBefore = truth.NotBefore.AddYears(-5); break;
            default: labelled.NotAfter = truth.NotAfter.AddYears(20); break;
        }

        ImportFile file = FileOf(new CasbConfiguration { TrustedRoots = [labelled] });
        var target = new CasbConfiguration();
        ConfigurationImport.Apply(target, file, ConfigurationImport.Plan(target, file, replace: false));

        TrustedRootEntry stored = Assert.Single(target.TrustedRoots);
        Assert.Equal(
            (truth.Thumbprint, truth.Subject, truth.Issuer, truth.Kind, truth.NotBefore, truth.NotAfter, truth.RawData),
            (stored.Thumbprint, stored.Subject, stored.Issuer, stored.Kind, stored.NotBefore, stored.NotAfter, stored.RawData));
    }

    /// <summary>Each fact of a CRL that the file states besides its data, set to a lie.</summary>
    public static TheoryData<string> RevocationListLabels() => new() { "issuer", "thisUpdate", "nextUpdate", "crlNumber", "revokedCount" };

    [Theory]
    [MemberData(nameof(RevocationListLabels))]
    public void An_imported_CRL_is_stored_with_the_facts_of_its_data_not_the_file_labels(string label)
    {
        // Get-CasbCertificateRevocationList's NextUpdate and RevokedCount must describe the CRL the validator reads.
        using var ca = CasbModule.Tests.Certificates.TestPki.Issue(CasbModule.Tests.Certificates.CertificateSpec.Ca("CN=Fabrikam CRL CA"), null);
        byte[] der = CasbModule.Tests.Certificates.TestPki.Crl(ca, 7, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), new[] { ca });
        var configuration = new CasbConfiguration { TrustedRoots = [CasbCore.Certificates.TrustedRootCatalog.CreateEntry(ca, DateTimeOffset.UtcNow)] };
        (RevocationListEntry truth, _) = CasbCore.Certificates.RevocationLists.Add(
            configuration, CasbCore.Certificates.CertificateRevocationList.Parse(der), false, DateTimeOffset.UtcNow);
        RevocationListEntry labelled = System.Text.Json.JsonSerializer.Deserialize<RevocationListEntry>(
            System.Text.Json.JsonSerializer.Serialize(truth, CasbStore.SerializerOptions), CasbStore.SerializerOptions)!;
        switch (label)
        {
            case "issuer": labelled.Issuer = "CN=Contoso Lab Root"; break;
            case "thisUpdate": labelled.ThisUpdate = truth.ThisUpdate.AddDays(20); break;
            case "nextUpdate": labelled.NextUpdate = truth.NextUpdate!.Value.AddYears(20); break;
            case "crlNumber": labelled.CrlNumber = "999"; break;
            default: labelled.RevokedCount = 0; break;
        }

        ImportFile file = FileOf(new CasbConfiguration { TrustedRoots = configuration.TrustedRoots, RevocationLists = [labelled] });
        var target = new CasbConfiguration();
        ConfigurationImport.Apply(target, file, ConfigurationImport.Plan(target, file, replace: false));

        RevocationListEntry stored = Assert.Single(target.RevocationLists);
        Assert.Equal(
            (truth.Id, truth.Issuer, truth.ThisUpdate, truth.NextUpdate, truth.CrlNumber, truth.RevokedCount),
            (stored.Id, stored.Issuer, stored.ThisUpdate, stored.NextUpdate, stored.CrlNumber, stored.RevokedCount));
    }

    [Theory]
    [InlineData("""{ "schemaVersion": 1, "apps": [ { "name": "A", "upstream": "http://127.0.0.1/" }, { "name": "a", "upstream": "http://127.0.0.1/" } ] }""", "'a' appears twice")]
    [InlineData("""{ "schemaVersion": 1, "groups": [ { "name": " " } ] }""", "a group has no name")]
    [InlineData("""{ "schemaVersion": 99 }""", "schema version 99")]
    [InlineData("""{ "schemaVersion": 1, "apps": [ """, "corrupt")]
    [InlineData("""{ "schemaVersion": 1, "trustedRoots": [ { "thumbprint": "00", "rawData": "bm90IGEgY2VydA==" } ] }""", "not a readable certificate")]
    [InlineData("""{ "schemaVersion": 1, "revocationLists": [ { "id": "00", "rawData": "AAAA" } ] }""", "does not match its id")]
    public void A_file_that_cannot_be_imported_is_ImportFileInvalid_and_says_why(string json, string why)
    {
        CasbException error = Assert.Throws<CasbException>(() => ConfigurationImport.Read(System.Text.Encoding.UTF8.GetBytes(json), "p.json"));

        Assert.Equal("ImportFileInvalid", error.ErrorId);
        Assert.Contains(why, error.Message);
        Assert.Contains("Nothing was changed.", error.Message);
    }
}
