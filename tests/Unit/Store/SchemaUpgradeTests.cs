using System.Text.Json.Nodes;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.SignIn;
using CasbCore.Store;
using CasbModule.Tests.Postgres;

namespace CasbModule.Tests.Store;

/// <summary>A version 1 document, on a folder and on PostgreSQL alike.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SchemaUpgradeTests(PostgresFixture postgres)
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "store-v1.json");
    private static readonly string FixtureV2 = Path.Combine(AppContext.BaseDirectory, "Fixtures", "store-v2.json");

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void A_version_1_store_reads_as_it_is_and_is_left_untouched_until_a_write(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        IConfigurationStore store = test.Store;
        test.WriteRaw(File.ReadAllText(Fixture));

        CasbConfiguration configuration = store.Load();
        store.Update(c => c.Settings.ActivityRetentionDays = 14); // changes nothing: no write

        Assert.Equal(CasbConfiguration.CurrentSchemaVersion, configuration.SchemaVersion);
        Assert.Equal(12, configuration.Revision);
        Assert.Empty(configuration.SessionPolicies);
        Assert.Equal(AppControlMode.BlockDownloads, configuration.ConditionalAccessPolicies[0].AppControlMode);
        Assert.Empty(ConfigurationValidator.Validate(configuration));
        Assert.Equal(File.ReadAllText(Fixture).Trim(), test.ReadRaw()!.Trim());
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void A_write_upgrades_a_version_1_store_to_the_current_version_and_loses_nothing(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        IConfigurationStore store = test.Store;
        test.WriteRaw(File.ReadAllText(Fixture));

        store.Update(c => GroupCatalog.AddMembers(c, "Vendors", ["new@fabrikam.com"]));

        JsonObject before = JsonNode.Parse(File.ReadAllText(Fixture))!.AsObject();
        JsonObject after = JsonNode.Parse(test.ReadRaw()!)!.AsObject();
        Assert.Equal(CasbConfiguration.CurrentSchemaVersion, (int)after["schemaVersion"]!);
        Assert.Equal(13, (int)after["revision"]!);
        Assert.Equal(0, after["sessionPolicies"]!.AsArray().Count);
        Assert.Equal(["vendor@fabrikam.com", "new@fabrikam.com"], after["groups"]![0]!["members"]!.AsArray().Select(m => (string)m!));

        // Every value the version 1 file held is still there, at the same place, with the same value.
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

        ImportFile file = ConfigurationImport.Read(Fixture);
        store.Update(c => ConfigurationImport.Apply(c, file, ConfigurationImport.Plan(c, file, replace: true)));

        CasbConfiguration configuration = store.Load();
        Assert.Equal("Require certificate", Assert.Single(configuration.AccessPolicies).Name);
        Assert.Equal(DefaultAction.Block, configuration.Settings.DefaultAction);
        Assert.Contains($"\"schemaVersion\": {CasbConfiguration.CurrentSchemaVersion}", test.ReadRaw());
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void A_version_2_store_reads_as_it_is_and_is_left_untouched_until_a_write(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        IConfigurationStore store = test.Store;
        test.WriteRaw(File.ReadAllText(FixtureV2));

        CasbConfiguration configuration = store.Load();
        store.Update(c => c.Settings.ActivityRetentionDays = 14); // changes nothing: no write

        Assert.Equal(3, CasbConfiguration.CurrentSchemaVersion);
        Assert.Equal(CasbConfiguration.CurrentSchemaVersion, configuration.SchemaVersion);
        Assert.Equal(20, configuration.Revision);
        Assert.Null(configuration.IdentityProvider);
        Assert.All(configuration.Apps, app => Assert.Equal(SignInMode.None, app.SignIn));
        Assert.Equal(CertificateUserMismatchAction.Audit, configuration.Settings.CertificateUserMismatch);
        SessionPolicyEntry session = Assert.Single(configuration.SessionPolicies);
        Assert.Equal((SessionControlType.ControlFileDownload, SessionPolicyAction.Block, 1), (session.ControlType, session.Action, session.MinFileSizeMB));
        Assert.Empty(ConfigurationValidator.Validate(configuration));
        Assert.Equal(File.ReadAllText(FixtureV2).Trim(), test.ReadRaw()!.Trim());
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void A_write_upgrades_a_version_2_store_to_version_3_and_loses_nothing(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        IConfigurationStore store = test.Store;
        test.WriteRaw(File.ReadAllText(FixtureV2));

        store.Update(c => GroupCatalog.AddMembers(c, "Vendors", ["new@fabrikam.com"]));

        JsonObject before = JsonNode.Parse(File.ReadAllText(FixtureV2))!.AsObject();
        JsonObject after = JsonNode.Parse(test.ReadRaw()!)!.AsObject();
        Assert.Equal(3, (int)after["schemaVersion"]!);
        Assert.Equal(21, (int)after["revision"]!);
        before.Remove("schemaVersion");
        before.Remove("revision");
        before.Remove("modifiedAt");
        before["groups"]![0]!["members"] = null;
        AssertContains(before, after, "$");
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void An_engine_of_version_2_refuses_a_store_that_signs_users_in_instead_of_serving_its_apps_without_sign_in(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        IConfigurationStore store = test.Store;
        test.WriteRaw(File.ReadAllText(FixtureV2));
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
