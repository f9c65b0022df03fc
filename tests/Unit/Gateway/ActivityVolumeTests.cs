using System.Globalization;
using System.Text.RegularExpressions;
using CasbCore.Activity;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbModule.Tests.Gateway;

/// <summary>Activity volume through a real gateway: what Get-CasbActivity's reader returns, counted against the requests sent.</summary>
[Collection(GatewayMetricsCollection.Name)]
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

    /// <summary>
    /// Requests of three users on two devices from four clients at once (request threads on both cores counting into the
    /// same sessions): every request is in the log exactly once, per user and device (verbatim or in a Summary's count),
    /// and the request counter at /metrics says as many.
    /// </summary>
    [Fact]
    public async Task Summary_records_account_for_every_request_per_user_and_device_and_equal_the_request_counter()
    {
        string[] users = ["ann@contoso.com", "bob@contoso.com", "eve@contoso.com"];
        string[] devices = ["0123456789ABCDEF0123456789ABCDEF01234567", "89ABCDEF0123456789ABCDEF0123456789ABCDEF"];
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c => c.Settings.ActivityVolume = ActivityVolume.Summary);
        harness.Decider.Decide = (state, request) =>
        {
            // /<user>/<device>/<n>[/blocked]
            string[] parts = request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            AccessDecision decision = harness.Allow(state, request, parts.Length > 3 ? AccessAction.Block : AccessAction.Allow);
            return decision with
            {
                User = users[int.Parse(parts[0], CultureInfo.InvariantCulture)],
                Certificate = new CasbCore.Certificates.CertificateValidationResult
                {
                    IsValid = true, Subject = "CN=Device", Issuer = "CN=Issuing CA", ValidatedAt = request.At,
                    Thumbprint = devices[int.Parse(parts[1], CultureInfo.InvariantCulture)],
                },
            };
        };

        const int Clients = 4, PerClient = 60;
        var sent = new System.Collections.Concurrent.ConcurrentQueue<(string User, string Device, bool Blocked)>();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
        {
            using HttpClient client = harness.CreateClient();
            for (int i = 0; i < PerClient; i++)
            {
                int user = (c + i / 7) % users.Length, device = (c + i / 11) % devices.Length;
                bool blocked = i % 13 == 12;
                using HttpResponseMessage response = await client.GetAsync($"/{user}/{device}/{i}{(blocked ? "/blocked" : "")}");
                Assert.Equal(blocked ? 403 : 200, (int)response.StatusCode);
                sent.Enqueue((users[user], devices[device], blocked));
            }
        }));

        string pattern = $@"casb_gateway_requests_total\{{[^}}]*app=""{GatewayHarness.AppName}""[^}}]*\}} (\d+)";
        long counted = 0;
        for (int i = 0; i < 50 && counted != Clients * PerClient; i++)
        {
            using HttpClient client = harness.CreateClient();
            counted = Regex.Matches(await client.GetStringAsync("/metrics"), pattern).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            await Task.Delay(counted == Clients * PerClient ? 0 : 100);
        }

        Assert.Equal(Clients * PerClient, counted);
        await harness.StopGatewayAsync();
        List<ActivityRecord> records = new FileActivityReader(harness.Store.ActivityDirectory).Read(new ActivityQuery()).ToList();
        Assert.Equal(
            sent.GroupBy(r => (r.User, r.Device)).Select(g => (g.Key, g.Count())).Order(),
            records.GroupBy(r => (r.User!, r.CertificateThumbprint!)).Select(g => (g.Key, g.Sum(r => r.Count ?? 1))).Order());
        Assert.Equal(sent.Count(r => r.Blocked), records.Count(r => r.Action == "Block" && r.Count is null));
        Assert.Equal(sent.Select(r => (r.User, r.Device)).Distinct().Count(), records.Count(r => r.Action == "Allow" && r.Count is null));
        Assert.All(records.Where(r => r.Count is not null), r => Assert.Equal("Allow", r.Action));
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
