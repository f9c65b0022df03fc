using CasbCore.Activity;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbModule.Tests.Gateway;

/// <summary>Activity volume through a real gateway: what Get-CasbActivity's reader returns, counted against the requests sent.</summary>
public sealed class ActivityVolumeTests
{
    [Fact]
    public async Task Summary_keeps_blocks_and_the_first_request_verbatim_and_counts_the_rest_per_user_app_device_and_minute()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c => c.Settings.ActivityVolume = ActivityVolume.Summary);
        harness.Decider.Decide = (state, request) =>
            harness.Allow(state, request, request.Path.StartsWith("/blocked", StringComparison.Ordinal) ? AccessAction.Block : AccessAction.Allow);
        using HttpClient client = harness.CreateClient();
        var sent = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            string path = i % 10 == 9 ? $"/blocked/{i}" : $"/page/{i}";
            using HttpResponseMessage response = await client.GetAsync(path);
            Assert.Equal(path.StartsWith("/blocked", StringComparison.Ordinal) ? 403 : 200, (int)response.StatusCode);
            sent.Add(path);
        }

        await harness.StopGatewayAsync();
        List<ActivityRecord> records = new FileActivityReader(harness.Store.ActivityDirectory).Read(new ActivityQuery()).ToList();

        ActivityRecord[] blocks = records.Where(r => r.Action == "Block").ToArray();
        Assert.Equal(sent.Where(p => p.StartsWith("/blocked", StringComparison.Ordinal)).Order(), blocks.Select(r => r.Path).Order());
        ActivityRecord first = Assert.Single(records, r => r.Action == "Allow" && r.Count is null);
        Assert.Equal("/page/0", first.Path);
        ActivityRecord[] summaries = records.Where(r => r.Count is not null).ToArray();
        Assert.NotEmpty(summaries);
        Assert.Equal(40 - blocks.Length - 1, summaries.Sum(r => r.Count!.Value));
        Assert.All(summaries, s =>
        {
            Assert.Equal(GatewayHarness.AppName, s.App);
            Assert.Equal("vendor@contoso.com", s.User);
            Assert.Equal("test", s.Gateway);
            Assert.True(s.LastTime >= s.Time);
            Assert.Null(s.Path);
            Assert.Equal(s.Time.UtcTicks / TimeSpan.TicksPerMinute, s.LastTime!.Value.UtcTicks / TimeSpan.TicksPerMinute);
        });

        // Get-CasbActivity's filters see them: -Activity Summary, and a Summary record's own correlation id.
        var reader = new FileActivityReader(harness.Store.ActivityDirectory);
        Assert.Equal(summaries.Length, reader.Read(new ActivityQuery { Kinds = new HashSet<ActivityKind> { ActivityKind.Summary } }).Count());
        Assert.Equal(summaries[0].Count, Assert.Single(reader.Read(new ActivityQuery { CorrelationId = summaries[0].CorrelationId })).Count);
        Assert.Equal(sent.Count, records.Sum(r => r.Count ?? 1));
    }

    [Fact]
    public async Task Full_keeps_every_request_verbatim()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c => c.Settings.ActivityVolume = ActivityVolume.Full);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        var ids = new List<string>();
        for (int i = 0; i < 25; i++)
        {
            using HttpResponseMessage response = await client.GetAsync($"/page/{i}");
            response.EnsureSuccessStatusCode();
            ids.Add(response.Headers.GetValues("X-Casb-Correlation-Id").Single());
        }

        await harness.StopGatewayAsync();
        List<ActivityRecord> records = new FileActivityReader(harness.Store.ActivityDirectory).Read(new ActivityQuery()).ToList();
        Assert.Equal(ids.AsEnumerable().Reverse(), records.Select(r => r.CorrelationId));
        Assert.All(records, r => Assert.Null(r.Count));
    }
}
