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
    private readonly Counter<long> _tlsHandshakes;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        Meter meter = _meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("casb.gateway.requests", "{request}", "Requests handled, by app and action.");
        _decisionDuration = meter.CreateHistogram<double>("casb.gateway.decision.duration", "ms", "Time the engine took to decide a request.");
        _certificateFailures = meter.CreateCounter<long>(
            "casb.gateway.certificate.failures", "{request}", "Requests whose client certificate did not validate, by reason.");
        _tlsHandshakes = meter.CreateCounter<long>(
            "casb.gateway.tls.handshakes", "{handshake}", "TLS connections established, by whether the client presented a certificate.");
    }

    public void RecordRequest(string? app, string action, int status) =>
        _requests.Add(1,
            new KeyValuePair<string, object?>("app", app ?? "(none)"),
            new KeyValuePair<string, object?>("action", action),
            new KeyValuePair<string, object?>("status", status));

    /// <summary>Exports the activity-log writer's count of records it had to drop (a full queue: the disk cannot keep up).</summary>
    public void ObserveDroppedActivity(Func<long> dropped) =>
        _meter.CreateObservableCounter(
            "casb.gateway.activity.dropped", dropped, "{record}", "Activity records dropped because the log writer could not keep up.");

    public void RecordDecision(double milliseconds) => _decisionDuration.Record(milliseconds);

    /// <summary>
    /// One TLS connection established. A browser that reuses its connections (HTTP/2, keep-alive) and resumes sessions
    /// shows few of these per page load; many per load would mean a full client-certificate handshake each time.
    /// </summary>
    public void RecordTlsHandshake(bool clientCertificate) =>
        _tlsHandshakes.Add(1, new KeyValuePair<string, object?>("client_certificate", clientCertificate ? "present" : "absent"));

    public void RecordCertificateFailure(string reason) =>
        _certificateFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
