using System.Diagnostics.Metrics;

namespace CasbGateway.Telemetry;

/// <summary>The gateway's metrics (Meter "CasbGateway"), exported for Prometheus at /metrics.</summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "CasbGateway";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _decisionDuration;
    private readonly Counter<long> _certificateFailures;
    private readonly Counter<long> _upstreamErrors;
    private readonly Counter<long> _clientErrors;
    private readonly Counter<long> _tlsHandshakes;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        Meter meter = _meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("casb.gateway.requests", "{request}", "Requests handled, by app and action.");
        _decisionDuration = meter.CreateHistogram<double>("casb.gateway.decision.duration", "ms", "Time the engine took to decide a request.");
        _certificateFailures = meter.CreateCounter<long>(
            "casb.gateway.certificate.failures", "{request}", "Requests whose client certificate did not validate, by reason.");
        _upstreamErrors = meter.CreateCounter<long>(
            "casb.gateway.upstream.errors", "{request}", "Allowed requests the app's upstream failed (down, reset, timed out), by app and error.");
        _clientErrors = meter.CreateCounter<long>(
            "casb.gateway.client.errors", "{request}", "Allowed requests the client broke (malformed body, reset, went away), by app and error.");
        _tlsHandshakes = meter.CreateCounter<long>(
            "casb.gateway.tls.handshakes", "{handshake}", "TLS connections established, by whether the client presented a certificate.");
    }

    public void RecordRequest(string? app, string action, int status) =>
        _requests.Add(1,
            new KeyValuePair<string, object?>("app", app ?? "(none)"),
            new KeyValuePair<string, object?>("action", action),
            new KeyValuePair<string, object?>("status", status));

    /// <summary>
    /// Exports the activity-log writer's count of records it lost: the queue was full (the disk cannot keep up) or
    /// the log could not be written (permissions, a full disk, a missing folder).
    /// </summary>
    public void ObserveDroppedActivity(Func<long> queueFull, Func<long> writeFailed) =>
        _meter.CreateObservableCounter(
            "casb.gateway.activity.dropped",
            () => new[]
            {
                new Measurement<long>(queueFull(), new KeyValuePair<string, object?>("reason", "queue_full")),
                new Measurement<long>(writeFailed(), new KeyValuePair<string, object?>("reason", "write_failed")),
            },
            "{record}",
            "Activity records lost because the log writer could not keep up or could not write, by reason.");

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
}
