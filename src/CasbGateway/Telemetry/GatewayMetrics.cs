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

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        Meter meter = _meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("casb.gateway.requests", "{request}", "Requests handled, by app and action.");
        _decisionDuration = meter.CreateHistogram<double>("casb.gateway.decision.duration", "ms", "Time the engine took to decide a request.");
        _certificateFailures = meter.CreateCounter<long>(
            "casb.gateway.certificate.failures", "{request}", "Requests whose client certificate did not validate, by reason.");
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

    public void RecordCertificateFailure(string reason) =>
        _certificateFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
