using CasbCore.Model;

namespace CasbModule.Tests.Gateway;

public sealed class SchemaVersionReloadTests
{
    [Fact]
    public async Task A_store_file_of_a_newer_schema_is_refused_and_the_last_good_revision_keeps_serving()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        Assert.StartsWith("Ready: revision 1", await client.GetStringAsync("/readyz"));

        // A newer CasbModule wrote the store: this gateway cannot know what the new fields mean.
        string newer = $$"""{ "schemaVersion": {{CasbConfiguration.CurrentSchemaVersion + 1}}, "revision": 5, "settings": { "defaultAction": "Block" } }""";
        await File.WriteAllTextAsync(harness.Store.ConfigurationFile, newer);
        await Task.Delay(1500);

        Assert.StartsWith("Ready: revision 1", await client.GetStringAsync("/readyz"));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(newer, await File.ReadAllTextAsync(harness.Store.ConfigurationFile));

        // Back to a schema it reads: picked up.
        var current = new CasbConfiguration { Revision = 6 };
        await File.WriteAllBytesAsync(harness.Store.ConfigurationFile, CasbCore.Store.CasbStore.Serialize(current));
        Assert.True(await Poll.Eventually(async () => (await client.GetStringAsync("/readyz")).StartsWith("Ready: revision 6")));
    }
}
