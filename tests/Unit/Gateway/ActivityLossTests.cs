namespace CasbModule.Tests.Gateway;

/// <summary>Activity records the log cannot take are counted, and recording resumes when it can.</summary>
[Collection(GatewayMetricsCollection.Name)]
public sealed class ActivityLossTests
{
    [Fact]
    public async Task Records_lost_because_the_log_cannot_be_written_are_counted_in_the_dropped_metric()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        (await client.GetAsync("/before")).EnsureSuccessStatusCode();
        Assert.Single(await harness.WaitForActivityAsync(1));

        // The folder becomes unwritable at run time (a file where it was: permissions would not stop root).
        string folder = harness.Store.ActivityDirectory;
        Directory.Delete(folder, recursive: true);
        await File.WriteAllTextAsync(folder, "");
        for (int i = 0; i < 5; i++)
        {
            (await client.GetAsync($"/lost/{i}")).EnsureSuccessStatusCode();
        }

        string metrics = await ClientErrorTests.ScrapeAsync(harness, @"reason=""write_failed""[^}]*\} 5\b");
        Assert.Matches(@"casb_gateway_activity_dropped_total\{[^}]*reason=""write_failed""[^}]*\} 5\b", metrics);
        Assert.Matches(@"casb_gateway_activity_dropped_total\{[^}]*reason=""queue_full""[^}]*\} 0\b", metrics);

        // Writable again: the next record arrives (after the writer's 1 s retry interval).
        File.Delete(folder);
        await Task.Delay(1200);
        using HttpResponseMessage after = await client.GetAsync("/after");
        string correlationId = after.Headers.GetValues("X-Casb-Correlation-Id").Single();
        Assert.Contains(await harness.WaitForActivityAsync(1), r => r.CorrelationId == correlationId);
    }
}
