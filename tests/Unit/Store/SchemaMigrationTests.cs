using System.Text.Json.Nodes;
using CasbCore;
using CasbCore.Model;
using CasbCore.Store;

namespace CasbModule.Tests.Store;

public sealed class SchemaMigrationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-schema-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A three-version chain: v1 had "apps[].url", v2 renamed it "upstream", v3 added "notes".</summary>
    private static readonly SchemaMigration[] Chain =
    [
        new(1, "url is called upstream", document =>
        {
            foreach (JsonObject app in document["apps"]?.AsArray().OfType<JsonObject>() ?? [])
            {
                if (app.Remove("url", out JsonNode? url))
                {
                    app["upstream"] = url;
                }
            }
        }),
        new(2, "notes", document => document["notes"] ??= new JsonArray()),
    ];

    [Fact]
    public void Each_step_runs_once_in_order_from_the_documents_version_and_the_version_is_stamped()
    {
        var v1 = JsonNode.Parse("""{ "schemaVersion": 1, "apps": [ { "name": "A", "url": "http://127.0.0.1/" } ] }""")!.AsObject();
        var v2 = JsonNode.Parse("""{ "schemaVersion": 2, "apps": [ { "name": "A", "url": "kept: v2 has no url" } ] }""")!.AsObject();

        SchemaMigrations.Upgrade(v1, 1, 3, Chain, "v1.json");
        SchemaMigrations.Upgrade(v2, 2, 3, Chain, "v2.json");

        Assert.Equal("""{"schemaVersion":3,"apps":[{"name":"A","upstream":"http://127.0.0.1/"}],"notes":[]}""", v1.ToJsonString());
        Assert.Equal("""{"schemaVersion":3,"apps":[{"name":"A","url":"kept: v2 has no url"}],"notes":[]}""", v2.ToJsonString());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_version_newer_than_the_engine_or_below_one_is_StoreSchemaUnsupported(int version)
    {
        var document = new JsonObject { ["schemaVersion"] = version };

        CasbException error = Assert.Throws<CasbException>(() => SchemaMigrations.Upgrade(document, version, 3, Chain, "x.json"));

        Assert.Equal("StoreSchemaUnsupported", error.ErrorId);
        Assert.Contains($"schema version {version}", error.Message);
        Assert.Equal(version, (int)document["schemaVersion"]!);
    }

    [Fact]
    public void A_gap_in_the_chain_is_refused_rather_than_skipped()
    {
        var document = new JsonObject { ["schemaVersion"] = 1 };

        Assert.Equal("StoreSchemaUnsupported", Assert.Throws<CasbException>(() => SchemaMigrations.Upgrade(document, 1, 3, [Chain[1]], "x.json")).ErrorId);
    }

    [Fact]
    public void The_engines_chain_covers_every_version_up_to_the_current_one()
    {
        Assert.Equal(
            Enumerable.Range(1, CasbConfiguration.CurrentSchemaVersion - 1),
            SchemaMigrations.All.Select(s => s.From));
    }

    [Fact]
    public void A_newer_store_file_is_refused_by_reads_and_writes_and_never_overwritten()
    {
        var store = new CasbStore(_directory);
        string newer = $$"""{ "schemaVersion": {{CasbConfiguration.CurrentSchemaVersion + 1}}, "revision": 9, "futureNoun": [ { "name": "x" } ] }""";
        File.WriteAllText(store.ConfigurationFile, newer);

        Assert.Equal("StoreSchemaUnsupported", Assert.Throws<CasbException>(() => store.Load()).ErrorId);
        Assert.Equal("StoreSchemaUnsupported", Assert.Throws<CasbException>(() => store.Update(c => c.Settings.ActivityRetentionDays = 1)).ErrorId);
        Assert.Equal(newer, File.ReadAllText(store.ConfigurationFile));
    }
}
