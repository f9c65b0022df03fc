using System.Net;
using System.Text.Json;
using CasbCore.Activity;
using CasbModule.Tests.Certificates;
using CasbModule.Tests.Gateway;

namespace CasbModule.Tests.Activity;

/// <summary>
/// The OTLP sink against a real OTLP/HTTP receiver (Kestrel on loopback), as the OTLP/HTTP specification's failure
/// rules want it: 429, 502, 503 and 504 are retried (after Retry-After, else a backoff); every other 4xx and 5xx is
/// not, and its records are counted as dropped; requests go gzip-compressed unless told otherwise.
/// </summary>
public sealed class OtlpActivitySinkTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 23, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Only_429_502_503_and_504_are_kept_for_a_retry_every_other_4xx_and_5xx_is_sent_once_and_its_records_counted_as_dropped()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        var retried = new List<int>();
        // Every 4xx and 5xx code, named by HTTP or not: the rule is about the class, so its neighbours are checked too.
        foreach (int status in Enumerable.Range(400, 200))
        {
            receiver.AnswerStatus = status;
            receiver.Arrived.Clear();
            var time = new ManualTimeProvider(Start);
            using var sink = new OtlpActivitySink(LogsUri(receiver), "edge-1", time: time);
            List<ActivityRecord> batch = Records(1);

            Exception? failure = Record.Exception(() => sink.WriteBatch(batch));

            Assert.Single(receiver.Arrived); // one request, never sent again within the batch (and never redirected)
            if (failure is null)
            {
                // Not retryable: the records leave the batch unkept, counted, with the receiver's answer as the reason.
                Assert.Empty(batch);
                Assert.Equal(1, sink.Refused);
                Assert.Contains($"answered {status}", sink.LastRefusal);
                Assert.Contains("which OTLP says not to retry: 1 record dropped", sink.LastRefusal);
                Assert.Contains($"refused by the test with {status}", sink.LastRefusal);
                continue;
            }

            // Retryable: the batch stays whole for the pump's next try, nothing counted as dropped.
            retried.Add(status);
            Assert.IsType<HttpRequestException>(failure);
            Assert.Contains($"answered {status}", failure.Message);
            Assert.Single(batch);
            Assert.Equal(0, sink.Refused);
        }

        Assert.Equal([429, 502, 503, 504], retried);
    }

    [Fact]
    public async Task A_retryable_answer_with_Retry_After_holds_every_request_back_until_then()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.AnswerStatus = 429;
        receiver.AnswerRetryAfter = "30";
        var time = new ManualTimeProvider(Start);
        using var sink = new OtlpActivitySink(LogsUri(receiver), "edge-1", time: time);
        List<ActivityRecord> batch = Records(2);
        Assert.Throws<HttpRequestException>(() => sink.WriteBatch(batch));
        receiver.AnswerStatus = 0;

        time.Advance(TimeSpan.FromSeconds(29));
        IOException waiting = Assert.Throws<IOException>(() => sink.WriteBatch(batch));
        Assert.Contains("(Retry-After)", waiting.Message);
        Assert.Single(receiver.Arrived);

        time.Advance(TimeSpan.FromSeconds(2));
        sink.WriteBatch(batch);
        Assert.Empty(batch);
        Assert.Equal(2, receiver.LogRecords().Count);
    }

    [Fact]
    public async Task Without_Retry_After_a_retryable_answer_or_a_refused_connection_backs_off_before_the_next_request()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.AnswerStatus = 502;
        var time = new ManualTimeProvider(Start);
        using var sink = new OtlpActivitySink(LogsUri(receiver), "edge-1", time: time);
        List<ActivityRecord> batch = Records(1);
        Assert.Throws<HttpRequestException>(() => sink.WriteBatch(batch));

        // The first step is 0.5-1 s (jitter), the next ones longer: the pump's 1 s retry does not hammer the receiver.
        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Contains("(backoff)", Assert.Throws<IOException>(() => sink.WriteBatch(batch)).Message);
        Assert.Single(receiver.Arrived);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Throws<HttpRequestException>(() => sink.WriteBatch(batch));
        Assert.Equal(2, receiver.Arrived.Count);

        // A collector that is not listening at all: no answer is retryable too, and backs off the same way.
        using var nowhere = new OtlpActivitySink(new Uri($"http://127.0.0.1:{ClosedPort()}/v1/logs"), "edge-1", time: time);
        Assert.Throws<HttpRequestException>(() => nowhere.WriteBatch(batch));
        Assert.Contains("cannot reach the collector", Assert.Throws<IOException>(() => nowhere.WriteBatch(batch)).Message);
        Assert.Single(batch);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_so_the_headers_never_go_elsewhere_and_the_records_wait()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.AnswerStatus = 307;
        receiver.AnswerLocation = "/v1/logs?followed=1";
        using var sink = new OtlpActivitySink(LogsUri(receiver), "edge-1", [new("X-Api-Key", "k")], time: new ManualTimeProvider(Start));
        List<ActivityRecord> batch = Records(2);

        HttpRequestException failure = Assert.Throws<HttpRequestException>(() => sink.WriteBatch(batch));

        Assert.Equal(["/v1/logs"], receiver.Arrived);
        Assert.Contains("answered 307 Temporary Redirect (redirects are not followed: give the collector's final URL)", failure.Message);
        Assert.Equal(2, batch.Count);
    }

    /// <summary>
    /// Every record a receiver took is counted once: kept (written) or refused in a partial success (rejected), never
    /// both, and never more than were sent, whatever number the answer names (a string or a number, as int64s come).
    /// </summary>
    [Theory]
    [InlineData("0", 0)]
    [InlineData("1", 1)]
    [InlineData("\"3\"", 3)]
    [InlineData("5", 5)]
    [InlineData("\"7\"", 5)]
    [InlineData("9223372036854775807", 5)]
    [InlineData("-2", 0)]
    public async Task Records_refused_in_a_partial_success_are_counted_as_rejected_and_not_as_written(string answered, long rejected)
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.AnswerRejected = answered;
        var sink = new OtlpActivitySink(LogsUri(receiver), "edge-1");
        var pump = new ActivityPump(sink, capacity: 10);
        foreach (ActivityRecord record in Records(5))
        {
            pump.Write(record);
        }

        await pump.DisposeAsync(); // drains the queue into one request

        Assert.Single(receiver.Accepted);
        Assert.Equal(rejected, pump.DroppedRejected);
        Assert.Equal(5 - rejected, pump.Written);
    }

    /// <summary>
    /// The status decides a request's records; an answer's body only adds a count or a message. One that never ends (or is
    /// too large to hold) must neither fail the request (its records kept, sent again and again) nor be held in memory.
    /// </summary>
    [Theory]
    [InlineData(0, false)]
    [InlineData(0, true)]
    [InlineData(400, false)]
    [InlineData(500, false)]
    public async Task An_answer_whose_body_never_ends_is_decided_by_its_status_alone(int status, bool rejecting)
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.AnswerStatus = status;
        receiver.RejectingAll = rejecting;
        receiver.EndlessBody = true;
        using var sink = new OtlpActivitySink(LogsUri(receiver), "edge-1", timeout: TimeSpan.FromSeconds(2), time: new ManualTimeProvider(Start));
        List<ActivityRecord> batch = Records(3);

        Exception? failure = Record.Exception(() => sink.WriteBatch(batch));

        Assert.Null(failure);
        Assert.Empty(batch);
        Assert.Single(receiver.Arrived);
        Assert.Equal(status == 0 ? 0 : 3, sink.Refused);
        Assert.Equal(0, sink.Rejected); // an answer it could not read names no rejections
        if (status != 0)
        {
            Assert.Contains($"answered {status}", sink.LastRefusal);
        }
    }

    /// <summary>
    /// A receiver's reason phrase is its own text: it reaches /readyz, the log and the exception the pump keeps only with
    /// control characters (a terminal escape, a tab) escaped, whether the status is retried or refused.
    /// </summary>
    [Theory]
    [InlineData(400)]
    [InlineData(503)]
    public async Task A_reason_phrase_with_control_characters_reaches_the_refusal_and_the_failure_escaped(int status)
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.AnswerStatus = status;
        receiver.AnswerReasonPhrase = "Bad\u001b[2J\u0007\tcollector";
        using var sink = new OtlpActivitySink(LogsUri(receiver), "edge-1", time: new ManualTimeProvider(Start));

        Exception? failure = Record.Exception(() => sink.WriteBatch(Records(1)));

        string shown = (status == 503 ? failure?.Message : sink.LastRefusal) ?? "";
        Assert.Contains($"answered {status}", shown);
        Assert.Contains("collector", shown);
        Assert.DoesNotContain(shown, char.IsControl);
    }

    [Fact]
    public async Task A_413_halves_the_request_and_a_record_refused_alone_is_dropped_and_counted_while_the_rest_arrive()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        receiver.MaxRecordsPerRequest = 0; // even one record is too large
        using var sink = new OtlpActivitySink(LogsUri(receiver), "edge-1", time: new ManualTimeProvider(Start));
        List<ActivityRecord> batch = Records(4);

        sink.WriteBatch(batch);

        // 4 and 2 records refused with 413 and halved (never the same request twice), then each record alone, each dropped.
        Assert.Empty(batch);
        Assert.Equal(4, sink.Refused);
        Assert.Contains("answered 413", sink.LastRefusal);
        Assert.Equal(2 + 4, receiver.Arrived.Count);
    }

    [Fact]
    public async Task A_receiver_decompressing_the_gzip_request_gets_the_same_records_as_from_an_uncompressed_one()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        List<ActivityRecord> records = Records(200);
        using (var gzip = new OtlpActivitySink(LogsUri(receiver), "edge-1"))
        {
            Assert.Equal(OtlpCompression.Gzip, gzip.Compression); // the default
            gzip.WriteBatch([.. records]);
        }

        using (var plain = new OtlpActivitySink(LogsUri(receiver), "edge-1", compression: OtlpCompression.None))
        {
            plain.WriteBatch([.. records]);
        }

        OtlpRequest[] requests = receiver.Accepted.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal("gzip", requests[0].ContentEncoding);
        Assert.Null(requests[1].ContentEncoding);
        Assert.Equal("application/json", requests[0].ContentType);

        // The same export request, byte for byte once decompressed, and each record's own correlation id in it.
        Assert.Equal(requests[1].Body.RootElement.GetRawText(), requests[0].Body.RootElement.GetRawText());
        Assert.Equal(
            records.Select(r => r.CorrelationId),
            receiver.LogRecords().Take(200).Select(r => r.String("casb.correlationId")));
        Assert.True(
            requests[0].WireBytes * 4 < requests[1].WireBytes,
            $"gzip took {requests[0].WireBytes} bytes on the wire for {requests[1].WireBytes} of JSON");
    }

    [Theory]
    [InlineData("gzip", OtlpCompression.Gzip)]
    [InlineData(" GZIP ", OtlpCompression.Gzip)]
    [InlineData("none", OtlpCompression.None)]
    public void Compression_is_gzip_or_none(string text, OtlpCompression expected) =>
        Assert.Equal(expected, OtlpActivitySink.ParseCompression(text));

    [Theory]
    [InlineData("deflate")]
    [InlineData("zstd")]
    [InlineData("")]
    public void Another_compression_is_refused_with_its_error_id(string text) =>
        Assert.Equal("InvalidOtlpCompression", Assert.Throws<CasbCore.CasbException>(() => OtlpActivitySink.ParseCompression(text)).ErrorId);

    internal static List<ActivityRecord> Records(int count) =>
        Enumerable.Range(0, count).Select(i => new ActivityRecord
        {
            Time = Start.AddMilliseconds(i),
            CorrelationId = $"c{i:D6}",
            Gateway = "edge-1",
            App = i % 3 == 0 ? "Payroll" : "Mail",
            Host = "mail.contoso.com",
            Path = $"/inbox/{i}",
            Method = "GET",
            User = $"user{i % 7}@contoso.com",
            Action = i % 10 == 0 ? "Block" : "Allow",
            HttpStatus = i % 10 == 0 ? 403 : 200,
            DecisionLatencyMs = 0.05 * i,
        }).ToList();

    [Theory]
    [InlineData("http://user:password@collector:4318")]
    [InlineData("https://user:password@collector/v1/logs")]
    [InlineData("http://password@collector:4318")]
    [InlineData("ftp://user:password@collector/")]
    [InlineData("grpc://user:password@collector:4317")]
    [InlineData("http://collector:4318/?key=password")]
    [InlineData("http://collector:4318/v1/logs#password")]
    [InlineData("ftp://collector/?key=password")]
    public void A_refused_endpoint_never_shows_its_credentials_in_the_message_or_the_error_target(string endpoint)
    {
        // The target is the ErrorRecord's TargetObject: $Error, Get-Error and the normal error view show it.
        var error = Assert.Throws<CasbCore.CasbException>(() => OtlpActivitySink.LogsUri(endpoint));

        Assert.Equal("InvalidOtlpEndpoint", error.ErrorId);
        Assert.DoesNotContain("password", error.Message);
        Assert.DoesNotContain("password", error.Target?.ToString() ?? "");
        Assert.Contains("collector", error.Message);
    }

    private static Uri LogsUri(OtlpReceiver receiver) => OtlpActivitySink.LogsUri(receiver.Url.ToString());

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
