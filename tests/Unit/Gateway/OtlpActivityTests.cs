using System.Text.Json;
using CasbCore.Activity;
using CasbCore.Policies;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Activity also sent to an OTLP/HTTP logs receiver: one log record per activity record, kept only when the receiver
/// answered 2xx, retried while it fails, and what the queue cannot hold counted. Delivery is at least once: a request
/// whose 2xx answer is lost is sent again, so a receiver may see a record twice, never zero times uncounted.
/// </summary>
[Collection(GatewayMetricsCollection.Name)]
public sealed class OtlpActivityTests
{
    private static readonly KeyValuePair<string, string>[] ApiKey = [new("X-Api-Key", "otlp-secret-4711")];

    [Fact]
    public async Task Each_activity_record_reaches_the_receiver_as_one_log_record_with_the_records_fields()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        await using GatewayHarness harness = await GatewayHarness.StartAsync(activityOtlp: receiver.Url, activityOtlpHeaders: ApiKey);
        harness.Decider.Decide = (state, request) =>
            harness.Allow(state, request, request.Path.StartsWith("/blocked", StringComparison.Ordinal) ? AccessAction.Block : AccessAction.Allow);
        using HttpClient client = harness.CreateClient();
        var sent = new Dictionary<string, string>();
        foreach (string path in new[] { "/a", "/blocked/b", "/c" })
        {
            using HttpResponseMessage response = await client.GetAsync(path);
            sent[response.Headers.GetValues("X-Casb-Correlation-Id").Single()] = path;
        }

        IReadOnlyList<OtlpLogRecord> received = await receiver.WaitForLogRecordsAsync(3);
        Assert.Equal(sent.Keys.Order(), received.Select(r => r.String("casb.correlationId")!).Order());

        // The primary sink keeps them too: OTLP is in addition, never instead.
        Dictionary<string, ActivityRecord> logged = (await harness.WaitForActivityAsync(3)).ToDictionary(r => r.CorrelationId);
        Assert.Equal(sent.Keys.Order(), logged.Keys.Order());
        foreach (OtlpLogRecord record in received)
        {
            string correlationId = record.String("casb.correlationId")!;
            bool blocked = sent[correlationId].StartsWith("/blocked", StringComparison.Ordinal);
            Assert.Equal("casb-gateway", record.ResourceString("service.name"));
            Assert.Equal("test", record.ResourceString("service.instance.id"));
            Assert.Equal("casb.activity", record.Scope.GetProperty("name").GetString());
            Assert.Equal("test", record.String("casb.gateway"));
            Assert.Equal("vendor@contoso.com", record.String("casb.user"));
            Assert.Equal(GatewayHarness.AppName, record.String("casb.app"));
            Assert.Equal(sent[correlationId], record.String("casb.path"));
            Assert.Equal(blocked ? "Block" : "Allow", record.String("casb.action"));
            Assert.Equal(blocked ? 13 : 9, record.Record.GetProperty("severityNumber").GetInt32());
            Assert.Equal(blocked ? "WARN" : "INFO", record.Record.GetProperty("severityText").GetString());
            Assert.Contains(blocked ? "Block GET" : "Allow GET", record.Record.GetProperty("body").GetProperty("stringValue").GetString());

            // Typed values: the status an int64 (a decimal string in protobuf JSON), the time the record's own to the tick.
            Assert.Equal(blocked ? "403" : "200", record.Attribute("casb.httpStatus").GetProperty("intValue").GetString());
            Assert.Equal(JsonValueKind.Number, record.Attribute("casb.decisionLatencyMs").GetProperty("doubleValue").ValueKind);
            Assert.Equal(OtlpLogsJson.UnixNanos(logged[correlationId].Time), record.Record.GetProperty("timeUnixNano").GetString());
        }

        // Sent gzip-compressed (the default), and decompressed by the receiver into the records compared above.
        OtlpRequest first = receiver.Accepted.First();
        Assert.Equal("/v1/logs", first.Path);
        Assert.Equal("application/json", first.ContentType);
        Assert.Equal("gzip", first.ContentEncoding);
        Assert.Equal("otlp-secret-4711", first.Headers["X-Api-Key"]);
    }

    [Fact]
    public async Task A_failing_receiver_makes_readyz_degraded_and_its_records_arrive_once_each_when_it_recovers()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.Failing = true;
        await using GatewayHarness harness = await GatewayHarness.StartAsync(activityOtlp: receiver.Url, activityOtlpHeaders: ApiKey);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        var sent = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage response = await client.GetAsync($"/waiting/{i}");
            response.EnsureSuccessStatusCode();
            sent.Add(response.Headers.GetValues("X-Casb-Correlation-Id").Single());
        }

        // Enforcement and the primary sink go on; /readyz names the OTLP sink and the receiver's answer, not the API key.
        Assert.Equal(5, (await harness.WaitForActivityAsync(5)).Count);
        string ready = await harness.WaitForReadyzAsync("degraded");
        Assert.Matches(@"degraded: activity sink 'otlp' failing since \S+: the collector at http://127\.0\.0\.1:\d+ answered 503", ready);
        Assert.DoesNotContain("otlp-secret-4711", ready);
        Assert.Matches(
            @"casb_gateway_activity_failing\{[^}]*sink=""otlp""[^}]*\} 1\b",
            await ClientErrorTests.ScrapeAsync(harness, @"casb_gateway_activity_failing\{[^}]*sink=""otlp""[^}]*\} 1\b"));

        receiver.Failing = false;
        IReadOnlyList<OtlpLogRecord> received = await receiver.WaitForLogRecordsAsync(5);
        Assert.True(receiver.Refused > 0);

        // A 503 keeps nothing, so here exactly once: every record, none twice.
        Assert.Equal(sent.Order(), received.Select(r => r.String("casb.correlationId")!).Order());
        Assert.DoesNotContain("degraded", await harness.WaitForReadyzAsync("Ready: revision"));
    }

    [Fact]
    public async Task Records_the_full_queue_cannot_take_while_the_receiver_fails_are_counted_and_the_rest_arrive()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.Failing = true;
        await using GatewayHarness harness = await GatewayHarness.StartAsync(activityQueueCapacity: 3, activityOtlp: receiver.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        (await client.GetAsync("/held")).EnsureSuccessStatusCode();
        await harness.WaitForReadyzAsync("activity sink 'otlp' failing");

        // One record held by the failing sink, three in its queue: the other six are counted against the OTLP sink only.
        // Each request waits for its record in the file, so the file sink's queue (also 3) never holds more than one
        // and cannot overflow on a loaded machine: only the failing OTLP sink may drop.
        for (int i = 0; i < 9; i++)
        {
            (await client.GetAsync($"/r/{i}")).EnsureSuccessStatusCode();
            Assert.Equal(i + 2, (await harness.WaitForActivityAsync(i + 2)).Count);
        }

        const string dropped = @"casb_gateway_activity_dropped_total\{[^}]*reason=""sink_failing""[^}]*sink=""otlp""[^}]*\} 6\b|casb_gateway_activity_dropped_total\{[^}]*sink=""otlp""[^}]*reason=""sink_failing""[^}]*\} 6\b";
        string metrics = await ClientErrorTests.ScrapeAsync(harness, dropped);
        Assert.Matches(dropped, metrics);
        Assert.DoesNotMatch(@"casb_gateway_activity_dropped_total\{[^}]*sink=""file""[^}]*\} [1-9]", metrics);
        Assert.Equal(10, (await harness.WaitForActivityAsync(10)).Count);

        receiver.Failing = false;
        await receiver.WaitForLogRecordsAsync(4);
        await Task.Delay(300);
        Assert.Equal(4, receiver.LogRecords().Count);
    }

    [Fact]
    public async Task A_receiver_that_refuses_large_requests_gets_smaller_ones_and_loses_nothing()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.Failing = true;
        await using GatewayHarness harness = await GatewayHarness.StartAsync(activityOtlp: receiver.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        var sent = new List<string>();
        for (int i = 0; i < 9; i++)
        {
            using HttpResponseMessage response = await client.GetAsync($"/r/{i}");
            sent.Add(response.Headers.GetValues("X-Casb-Correlation-Id").Single());
        }

        // Eight records queued behind the failing one become one batch: too large for a receiver taking two at a time.
        receiver.MaxRecordsPerRequest = 2;
        receiver.Failing = false;
        IReadOnlyList<OtlpLogRecord> received = await receiver.WaitForLogRecordsAsync(9);
        Assert.Equal(sent.Order(), received.Select(r => r.String("casb.correlationId")!).Order());
        Assert.All(receiver.Accepted, r => Assert.InRange(r.LogRecords, 1, 2));
        Assert.DoesNotContain("degraded", await harness.WaitForReadyzAsync("Ready: revision"));
    }

    [Fact]
    public async Task Records_a_receiver_takes_and_then_refuses_are_not_sent_again_but_counted_as_rejected()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.RejectingAll = true;
        await using GatewayHarness harness = await GatewayHarness.StartAsync(activityOtlp: receiver.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        for (int i = 0; i < 3; i++)
        {
            (await client.GetAsync($"/r/{i}")).EnsureSuccessStatusCode();
        }

        const string rejected = @"casb_gateway_activity_dropped_total\{[^}]*reason=""rejected""[^}]*sink=""otlp""[^}]*\} 3\b|casb_gateway_activity_dropped_total\{[^}]*sink=""otlp""[^}]*reason=""rejected""[^}]*\} 3\b";
        Assert.Matches(rejected, await ClientErrorTests.ScrapeAsync(harness, rejected));

        // A partial success is not retried (OTLP says so): each record was sent once, and the sink is not failing.
        Assert.Equal(3, receiver.LogRecords().Count);
        Assert.DoesNotContain("degraded", await harness.WaitForReadyzAsync("Ready: revision"));
    }

    [Fact]
    public async Task A_receiver_refusing_with_a_status_not_to_retry_gets_each_record_once_and_the_drops_are_counted_and_shown_until_it_takes_them()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.AnswerStatus = 401;
        await using GatewayHarness harness = await GatewayHarness.StartAsync(activityOtlp: receiver.Url, activityOtlpHeaders: ApiKey);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        for (int i = 0; i < 3; i++)
        {
            (await client.GetAsync($"/r/{i}")).EnsureSuccessStatusCode();
        }

        const string dropped = @"casb_gateway_activity_dropped_total\{[^}]*reason=""not_retryable""[^}]*sink=""otlp""[^}]*\} 3\b|casb_gateway_activity_dropped_total\{[^}]*sink=""otlp""[^}]*reason=""not_retryable""[^}]*\} 3\b";
        string metrics = await ClientErrorTests.ScrapeAsync(harness, dropped);
        Assert.Matches(dropped, metrics);
        Assert.DoesNotMatch(@"casb_gateway_activity_written_total\{[^}]*sink=""otlp""[^}]*\} [1-9]", metrics);
        Assert.Matches(@"casb_gateway_activity_failing\{[^}]*sink=""otlp""[^}]*\} 0\b", metrics);

        // Not retried: the receiver saw each record once (in as many requests as the pump's batches), nothing is queued for it.
        await Task.Delay(1500);
        Assert.InRange(receiver.Arrived.Count, 1, 3);
        Assert.Empty(receiver.Accepted);
        Assert.Equal(3, (await harness.WaitForActivityAsync(3)).Count); // the primary sink keeps them all

        string ready = await harness.WaitForReadyzAsync("refused");
        Assert.Matches(
            @"degraded: activity sink 'otlp' refused at \S+: the collector at http://127\.0\.0\.1:\d+ answered 401 Unauthorized, which OTLP says not to retry: [1-3] records? dropped \(refused by the test with 401\)",
            ready);
        Assert.DoesNotContain("otlp-secret-4711", ready);

        // The receiver takes records again: the next one arrives, and /readyz is no longer degraded.
        receiver.AnswerStatus = 0;
        using HttpResponseMessage next = await client.GetAsync("/after");
        string correlationId = next.Headers.GetValues("X-Casb-Correlation-Id").Single();
        Assert.Equal(correlationId, Assert.Single(await receiver.WaitForLogRecordsAsync(1)).String("casb.correlationId"));
        Assert.DoesNotContain("degraded", await harness.WaitForReadyzAsync("Ready: revision"));
    }

    /// <summary>
    /// The gateway's stop waits for its activity queues only as long as the host's shutdown timeout: a receiver that
    /// answers, but slowly, must not hold the process past it (a service manager would kill it then, and the records left
    /// would be lost uncounted). What is still queued when the time is up is counted as lost at shutdown.
    /// </summary>
    [Fact]
    public async Task A_slow_receiver_holds_the_gateway_stop_no_longer_than_the_shutdown_timeout_and_the_records_left_are_counted()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.AnswerDelay = TimeSpan.FromMilliseconds(250);
        receiver.MaxRecordsPerRequest = 1; // the sink halves its requests down to one record each: 40 records take 10 s
        await using GatewayHarness harness = await GatewayHarness.StartAsync(activityOtlp: receiver.Url);
        var recorder = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<CasbGateway.Activity.ActivityRecorder>(harness.GatewayServices);
        ActivityPump otlp = recorder.Pumps.Single(p => p.SinkName == "otlp");
        long before = otlp.Written;
        foreach (ActivityRecord record in CasbModule.Tests.Activity.OtlpActivitySinkTests.Records(40))
        {
            otlp.Write(record);
        }

        using var shutdown = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await recorder.StopAsync(shutdown.Token);
        stopwatch.Stop();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(4), $"the activity recorder took {stopwatch.Elapsed.TotalSeconds:F1} s to stop after a 1 s shutdown timeout");
        Assert.True(otlp.DroppedShutdown > 0, "no record was counted as lost at shutdown");
        Assert.Equal(40, otlp.Written - before + otlp.DroppedShutdown);
        int arrived = receiver.Arrived.Count;
        await Task.Delay(600);
        Assert.Equal(arrived, receiver.Arrived.Count); // nothing is sent after the stop
    }
}
