using System.Text.Json.Nodes;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.SignIn;
using CasbCore.Store;
using CasbModule.Tests.Postgres;

namespace CasbModule.Tests.Store;

/// <summary>Documents of earlier schema versions, on a folder and on PostgreSQL alike.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SchemaUpgradeTests(PostgresFixture postgres)
{
    /// <summary>Every store kind with every earlier schema version there is a fixture for.</summary>
    public static TheoryData<string, int> KindsAndEarlierVersions()
    {
        var data = new TheoryData<string, int>();
        foreach (string kind in new[] { StoreUnderTest.Folder, StoreUnderTest.Postgres })
        {
            foreach (int version in new[] { 1, 2 })
            {
                data.Add(kind, version);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KindsAndEarlierVersions))]
    public void An_earlier_store_reads_as_it_is_and_is_left_untouched_until_a_write(string kind, int version)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        IConfigurationStore store = test.Store;
        string fixture = File.ReadAllText(FixtureOf(version));
        JsonObject file = JsonNode.Parse(fixture)!.AsObject();
        test.WriteRaw(fixture);

        CasbConfiguration configuration = store.Load();
        store.Update(c => c.Settings.ActivityRetentionDays = 14); // changes nothing: no write

        Assert.Equal(3, CasbConfiguration.CurrentSchemaVersion); // a new version wants its own fixture in the theory
        Assert.Equal(CasbConfiguration.CurrentSchemaVersion, configuration.SchemaVersion);
        Assert.Equal((int)file["revision"]!, configuration.Revision);
        Assert.Equal(AppControlMode.BlockDownloads, configuration.ConditionalAccessPolicies[0].AppControlMode);
        Assert.Equal(
            (file["sessionPolicies"]?.AsArray() ?? new JsonArray()).Select(p => ((string)p!["controlType"]!, (string)p["action"]!, (int?)p["minFileSizeMB"])),
            configuration.SessionPolicies.Select(p => (p.ControlType.ToString(), p.Action.ToString(), p.MinFileSizeMB)));

        // What version 3 added reads as the behaviour the store had before it.
        Assert.Null(configuration.IdentityProvider);
        Assert.All(configuration.Apps, app => Assert.Equal(SignInMode.None, app.SignIn));
        Assert.Equal(CertificateUserMismatchAction.Audit, configuration.Settings.CertificateUserMismatch);
        Assert.Empty(ConfigurationValidator.Validate(configuration));
        Assert.Equal(fixture.Trim(), test.ReadRaw()!.Trim());
    }

    [Theory]
    [MemberData(nameof(KindsAndEarlierVersions))]
    public void A_write_upgrades_an_earlier_store_to_the_current_version_and_loses_nothing(string kind, int version)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        IConfigurationStore store = test.Store;
        string fixture = File.ReadAllText(FixtureOf(version));
        test.WriteRaw(fixture);

        store.Update(c => GroupCatalog.AddMembers(c, "Vendors", ["new@fabrikam.com"]));

        JsonObject before = JsonNode.Parse(fixture)!.AsObject();
        JsonObject after = JsonNode.Parse(test.ReadRaw()!)!.AsObject();
        Assert.Equal(CasbConfiguration.CurrentSchemaVersion, (int)after["schemaVersion"]!);
        Assert.Equal((int)before["revision"]! + 1, (int)after["revision"]!);
        Assert.Equal(before["sessionPolicies"]?.AsArray().Count ?? 0, after["sessionPolicies"]!.AsArray().Count);
        Assert.Equal(["vendor@fabrikam.com", "new@fabrikam.com"], after["groups"]![0]!["members"]!.AsArray().Select(m => (string)m!));

        // Every value the earlier file held is still there, at the same place, with the same value.
        before.Remove("schemaVersion");
        before.Remove("revision");
        before.Remove("modifiedAt");
        before["groups"]![0]!["members"] = null;
        AssertContains(before, after, "$");
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void A_version_1_export_imports_into_a_current_store(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        IConfigurationStore store = test.Store;

        ImportFile file = ConfigurationImport.Read(FixtureOf(1));
        store.Update(c => ConfigurationImport.Apply(c, file, ConfigurationImport.Plan(c, file, replace: true)));

        CasbConfiguration configuration = store.Load();
        Assert.Equal("Require certificate", Assert.Single(configuration.AccessPolicies).Name);
        Assert.Equal(DefaultAction.Block, configuration.Settings.DefaultAction);
        Assert.Contains($"\"schemaVersion\": {CasbConfiguration.CurrentSchemaVersion}", test.ReadRaw());
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void An_engine_of_version_2_refuses_a_store_that_signs_users_in_instead_of_serving_its_apps_without_sign_in(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        IConfigurationStore store = test.Store;
        test.WriteRaw(File.ReadAllText(FixtureOf(2)));
        store.Update((c, secrets) =>
        {
            IdentityProviderCatalog.Set(c, secrets, new IdentityProviderChange
            {
                Authority = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", ClientId = "gateway-app", ClientSecret = "secret",
            }, DateTimeOffset.UtcNow);
            c.Apps[0].SignIn = SignInMode.Required;
            return 0;
        });
        string written = test.ReadRaw()!;

        // The engine that shipped before sign-in: the same parser with the chain and the version it had.
        CasbException refused = Assert.Throws<CasbException>(() =>
            CasbStore.Parse(System.Text.Encoding.UTF8.GetBytes(written), store.DocumentName, SchemaMigrations.All.Where(s => s.From < 2).ToList(), target: 2));

        Assert.Equal(SchemaMigrations.UnsupportedErrorId, refused.ErrorId);
        Assert.Contains("schema version 3", refused.Message);
        Assert.Equal(SignInMode.Required, store.Load().Apps[0].SignIn); // and this engine reads it whole
        Assert.Equal(written, test.ReadRaw());
    }

    private static string FixtureOf(int version) => Path.Combine(AppContext.BaseDirectory, "Fixtures", $"store-v{version}.json");

    private static void AssertContains(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected)
        {
            case null:
                return; // a value the test changed on purpose
            case JsonObject obj:
                JsonObject actualObject = Assert.IsType<JsonObject>(actual);
                foreach ((string name, JsonNode? value) in obj)
                {
                    Assert.True(actualObject.ContainsKey(name), $"{path}.{name} was lost");
                    AssertContains(value, actualObject[name], $"{path}.{name}");
                }

                return;
            case JsonArray array:
                JsonArray actualArray = Assert.IsType<JsonArray>(actual);
                Assert.True(array.Count == actualArray.Count, $"{path} has {actualArray.Count} items, not {array.Count}");
                for (int i = 0; i < array.Count; i++)
                {
                    AssertContains(array[i], actualArray[i], $"{path}[{i}]");
                }

                return;
            default:
                Assert.True(JsonNode.DeepEquals(Normalize(expected), Normalize(actual)), $"{path}: {expected.ToJsonString()} became {actual?.ToJsonString()}");
                return;
        }
    }

    /// <summary>Times compare as instants (the serializer may write an offset differently).</summary>
    private static JsonNode? Normalize(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue(out string? text) && DateTimeOffset.TryParse(text, out DateTimeOffset at) && text.Contains('T')
            ? JsonValue.Create(at.UtcDateTime)
            : node?.DeepClone();
}
