using CasbCore.Model;

namespace CasbModule.Tests.Gateway;

public sealed class ConfigurationReloadTests
{
    [Fact]
    public async Task A_change_to_the_store_reaches_the_running_gateway_and_a_broken_one_is_refused()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        Assert.StartsWith("Ready: revision 1", await client.GetStringAsync("/readyz"));

        harness.Store.Update(c => c.Settings.DefaultAction = DefaultAction.Block);
        Assert.True(await Eventually(async () => (await client.GetStringAsync("/readyz")).StartsWith("Ready: revision 2")));

        // A corrupt file: refused, revision 2 keeps serving.
        await File.WriteAllTextAsync(harness.Store.ConfigurationFile, "{ \"schemaVersion\": 1, \"revision\": 3, \"apps\": [ broken");
        await Task.Delay(1500);
        Assert.StartsWith("Ready: revision 2", await client.GetStringAsync("/readyz"));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
    }

    private static async Task<bool> Eventually(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
