using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace CasbGateway.Telemetry;

/// <summary>The gateway's metrics (Meter "CasbGateway"), exported for Prometheus at /metrics.</summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "CasbGateway";

    /// <summary>
    /// At most how many series an instrument exports whose tags take a few values known in advance (none; the
    /// certificate failure reasons, 16; whether a certificate was presented; the activity sinks, one to three, by five
    /// reasons): every instrument of the meter but the three tagged by app (<see cref="ByApp"/>). OpenTelemetry's default
    /// is 2,000 series per instrument, each a preallocated MetricPoint (72 B): one 144 KB array per instrument, on the
    /// large object heap and resident from start (13 instruments: 1.9 MB, the gateway's whole LOH; docs/benchmarks.md,
    /// "Seventh pass: memory").
    /// </summary>
    internal const int FewSeriesLimit = 64;

    private const string Requests = "casb.gateway.requests";
    private const string UpstreamErrors = "casb.gateway.upstream.errors";
    private const string ClientErrors = "casb.gateway.client.errors";

    /// <summary>The instruments tagged by app, whose series keep OpenTelemetry's default limit.</summary>
    internal static readonly string[] ByApp = [Requests, UpstreamErrors, ClientErrors];

    /// <summary>Caps the series of every instrument of the meter but <see cref="ByApp"/> at <see cref="FewSeriesLimit"/>.</summary>
    public static MeterProviderBuilder LimitFewSeries(MeterProviderBuilder metrics) =>
        metrics.AddView(instrument => instrument.Meter.Name == MeterName && !ByApp.Contains(instrument.Name)
            ? new MetricStreamConfiguration { CardinalityLimit = FewSeriesLimit }
            : null);

    private readonly Meter _meter;
    // The request counter's cells by app, action and status, exported as an observable counter (the same cumulative sum at
    // /metrics as a Counter<long>): a request adds 1 to its cell, instead of OpenTelemetry sorting and looking up its three
    // tags on every Add. The keys are bounded: the configuration's apps (or "(none)"), three actions, the status codes.
    private readonly ConcurrentDictionary<(string App, string Action, int Status), RequestCell> _requests = new();

    // The cell this thread added to last, compared by its key before the dictionary is asked, whose lookup hashes the app's
    // name and the action on every request (the tuple's comparer: 0.1-0.2% of the gateway's samples at activity volume
    // Summary); the strings are the same objects request after request, so the comparison is two reference checks.
    [ThreadStatic]
    private static RequestCell? t_lastCell;

    private readonly Histogram<double> _decisionDuration;
    private readonly Counter<long> _certificateFailures;
    private readonly Counter<long> _upstreamErrors;
    private readonly Counter<long> _clientErrors;
    private readonly Counter<long> _tlsHandshakes;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        Meter meter = _meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter(Requests, ObserveRequests, "{request}", "Requests handled, by app and action.");
        _decisionDuration = meter.CreateHistogram<double>("casb.gateway.decision.duration", "ms", "Time the engine took to decide a request.");
        _certificateFailures = meter.CreateCounter<long>(
            "casb.gateway.certificate.failures", "{request}", "Requests whose client certificate did not validate, by reason.");
        _upstreamErrors = meter.CreateCounter<long>(
            UpstreamErrors, "{request}", "Allowed requests the app's upstream failed (down, reset, timed out), by app and error.");
        _clientErrors = meter.CreateCounter<long>(
            ClientErrors, "{request}", "Allowed requests the client broke (malformed body, reset, went away), by app and error.");
        _tlsHandshakes = meter.CreateCounter<long>(
            "casb.gateway.tls.handshakes", "{handshake}", "TLS connections established, by whether the client presented a certificate.");
    }

    public void RecordRequest(string? app, string action, int status)
    {
        app ??= "(none)";
        RequestCell? cell = t_lastCell;
        if (cell is null || cell.Owner != this || cell.Status != status || !string.Equals(cell.App, app) || !string.Equals(cell.Action, action))
        {
            t_lastCell = cell = _requests.GetOrAdd((app, action, status), static (key, owner) => new RequestCell(owner, key.App, key.Action, key.Status), this);
        }

        Interlocked.Increment(ref cell.Value);
    }

    private IEnumerable<Measurement<long>> ObserveRequests()
    {
        foreach (KeyValuePair<(string App, string Action, int Status), RequestCell> request in _requests)
        {
            yield return new Measurement<long>(
                Interlocked.Read(ref request.Value.Value),
                new KeyValuePair<string, object?>("app", request.Key.App),
                new KeyValuePair<string, object?>("action", request.Key.Action),
                new KeyValuePair<string, object?>("status", BoxedStatus(request.Key.Status)));
        }
    }

    // The status tag is an object: one box per status code for the process, not one per request.
    private static readonly object[] StatusBoxes = Enumerable.Range(0, 600).Select(status => (object)status).ToArray();

    internal static object BoxedStatus(int status) => (uint)status < (uint)StatusBoxes.Length ? StatusBoxes[status] : status;

    /// <summary>
    /// Exports, per activity sink, the records it lost by reason (queue_full: the sink cannot keep up; sink_failing: the
    /// queue filled while the sink failed; shutdown: the sink still failed when the gateway stopped; rejected and
    /// not_retryable: an OTLP receiver refused them, in a partial success or with a status not to retry), the records
    /// waiting in its queue and how many it holds, and whether it fails now.
    /// </summary>
    public void ObserveActivity(IReadOnlyList<CasbCore.Activity.ActivityPump> pumps)
    {
        _meter.CreateObservableCounter(
            "casb.gateway.activity.dropped",
            () => pumps.SelectMany(p => new[]
            {
                new Measurement<long>(p.DroppedQueueFull, Sink(p), new KeyValuePair<string, object?>("reason", "queue_full")),
                new Measurement<long>(p.DroppedSinkFailing, Sink(p), new KeyValuePair<string, object?>("reason", "sink_failing")),
                new Measurement<long>(p.DroppedShutdown, Sink(p), new KeyValuePair<string, object?>("reason", "shutdown")),
                new Measurement<long>(p.DroppedRejected, Sink(p), new KeyValuePair<string, object?>("reason", "rejected")),
                new Measurement<long>(p.DroppedNotRetryable, Sink(p), new KeyValuePair<string, object?>("reason", "not_retryable")),
            }),
            "{record}",
            "Activity records lost, by sink and reason.");
        _meter.CreateObservableCounter(
            "casb.gateway.activity.written", () => pumps.Select(p => new Measurement<long>(p.Written, Sink(p))), "{record}", "Activity records kept, by sink.");
        _meter.CreateObservableGauge(
            "casb.gateway.activity.queued", () => pumps.Select(p => new Measurement<int>(p.Queued, Sink(p))), "{record}", "Activity records waiting for their sink.");
        _meter.CreateObservableGauge(
            "casb.gateway.activity.queue.capacity", () => pumps.Select(p => new Measurement<int>(p.Capacity, Sink(p))), "{record}",
            "Activity records each sink's queue holds before it drops (--activity-queue-capacity).");
        _meter.CreateObservableGauge(
            "casb.gateway.activity.failing", () => pumps.Select(p => new Measurement<int>(p.FailingReason is null ? 0 : 1, Sink(p))), null,
            "1 while the activity sink fails (its records wait in the queue).");

        static KeyValuePair<string, object?> Sink(CasbCore.Activity.ActivityPump pump) => new("sink", pump.SinkName);
    }

    /// <summary>Exports the revision served and whether it is degraded (the store file is missing, unreadable or refused).</summary>
    public void ObserveConfiguration(Func<long> revision, Func<int> degraded)
    {
        _meter.CreateObservableGauge("casb.gateway.configuration.revision", revision, null, "The configuration revision the gateway enforces.");
        _meter.CreateObservableGauge(
            "casb.gateway.configuration.degraded", degraded, null,
            "1 while the store file is missing, unreadable or refused and the last good configuration keeps serving.");
    }

    public void RecordDecision(double milliseconds) => _decisionDuration.Record(milliseconds);

    /// <summary>
    /// One TLS connection established. A browser that reuses its connections (HTTP/2, keep-alive) and resumes sessions
    /// shows few of these per page load; many per load would mean a full client-certificate handshake each time.
    /// </summary>
    public void RecordTlsHandshake(bool clientCertificate) =>
        _tlsHandshakes.Add(1, new KeyValuePair<string, object?>("client_certificate", clientCertificate ? "present" : "absent"));

    public void RecordCertificateFailure(string reason) =>
        _certificateFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RecordUpstreamError(string app, string error) =>
        _upstreamErrors.Add(1, new KeyValuePair<string, object?>("app", app), new KeyValuePair<string, object?>("error", error));

    public void RecordClientError(string app, string error) =>
        _clientErrors.Add(1, new KeyValuePair<string, object?>("app", app), new KeyValuePair<string, object?>("error", error));

    private sealed class RequestCell(GatewayMetrics owner, string app, string action, int status)
    {
        public long Value;

        public GatewayMetrics Owner { get; } = owner;

        public string App { get; } = app;

        public string Action { get; } = action;

        public int Status { get; } = status;
    }
}
