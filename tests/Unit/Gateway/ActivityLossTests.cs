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
        var waiting = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage response = await client.GetAsync($"/waiting/{i}");
            response.EnsureSuccessStatusCode();
            waiting.Add(response.Headers.GetValues("X-Casb-Correlation-Id").Single());
        }

        // Enforcement goes on; /readyz says why activity is degraded, and the metric says the sink fails.
        string ready = await harness.WaitForReadyzAsync("degraded");
        Assert.Matches(@"^Ready: revision \d+ .*; degraded: activity sink 'file' failing since \S+: ", ready);
        string metrics = await ClientErrorTests.ScrapeAsync(harness, @"casb_gateway_activity_failing\{[^}]*sink=""file""[^}]*\} 1\b");
        Assert.Matches(@"casb_gateway_activity_dropped_total\{[^}]*reason=""sink_failing""[^}]*sink=""file""[^}]*\} 0\b|casb_gateway_activity_dropped_total\{[^}]*sink=""file""[^}]*reason=""sink_failing""[^}]*\} 0\b", metrics);

        // Writable again: the waiting records arrive, once each, and /readyz recovers by itself.
        File.Delete(folder);
        IReadOnlyList<CasbCore.Activity.ActivityRecord> records = await harness.WaitForActivityAsync(5);
        Assert.Equal(waiting.Order(), records.Select(r => r.CorrelationId).Order());
        Assert.DoesNotContain("degraded", await harness.WaitForReadyzAsync("Ready: revision"));
    }

    [Fact]
    public async Task Records_the_full_queue_cannot_take_while_the_sink_fails_are_counted_and_nothing_else_is_lost()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(activityQueueCapacity: 3);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        string folder = harness.Store.ActivityDirectory;
        Directory.Delete(folder, recursive: true);
        await File.WriteAllTextAsync(folder, "");
        (await client.GetAsync("/held")).EnsureSuccessStatusCode();
        await harness.WaitForReadyzAsync("degraded");

        // One batch held by the failing sink, three in the queue: the other six are counted.
        for (int i = 0; i < 9; i++)
        {
            (await client.GetAsync($"/r/{i}")).EnsureSuccessStatusCode();
        }

        string metrics = await ClientErrorTests.ScrapeAsync(harness, @"reason=""sink_failing""[^}]*\} 6\b|\{sink=""file"",reason=""sink_failing""\} 6\b");
        Assert.Matches(@"casb_gateway_activity_dropped_total\{[^}]*reason=""sink_failing""[^}]*\} 6\b", metrics);
        File.Delete(folder);
        Assert.Equal(4, (await harness.WaitForActivityAsync(4)).Count);
    }
}
