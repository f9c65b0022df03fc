using System.Diagnostics;
using System.Net;
using CasbCore.Activity;
using CasbCore.Certificates;
using CasbCore.Policies;
using CasbGateway.Configuration;
using CasbGateway.Enforcement;
using CasbGateway.Hosting;
using CasbGateway.Telemetry;
using Microsoft.AspNetCore.Http.Features;

namespace CasbGateway.Activity;

/// <summary>
/// Records the requests Kestrel refuses by itself, before any middleware runs: a malformed request line or header, a
/// control character or <c>%00</c> in the target, headers too large (400, 414, 431, 505...). Such a request is refused,
/// never proxied, but without this it would leave no activity record: a probe for request smuggling or a header
/// injection would be invisible in the one log an admin reads. Kestrel reports each on ASP.NET Core's
/// <see cref="DiagnosticListener"/> as <see cref="EventName"/> with the request's features; the record is a Block with
/// the status Kestrel answered, the client's address and certificate, and the error <c>BadRequest: reason</c> from the
/// client.
/// <para>A request the gateway's middlewares already handled (a malformed body found while it was proxied) carries the
/// <see cref="GatewayRequestFeature"/> and is recorded by <see cref="ActivityMiddleware"/>; it is skipped here, so no
/// request has two records. The subscription asks only for this event: hosting's per-request diagnostics stay off.</para>
/// </summary>
internal sealed partial class BadRequestRecorder : IObserver<KeyValuePair<string, object?>>, IDisposable
{
    public const string EventName = "Microsoft.AspNetCore.Server.Kestrel.BadRequest";

    /// <summary>The error id of the record and of the client-error metric.</summary>
    public const string ErrorId = "BadRequest";

    /// <summary>The record's block message: Kestrel's own answer has no page.</summary>
    public const string Message = "The gateway could not read this request: it is not valid HTTP.";

    // Kestrel's reason includes up to 128 escaped bytes of what the client sent: enough to tell what it was.
    private const int MaxReasonLength = 300;
    private const string NoApp = "(none)";

    private static readonly Predicate<string> OnlyBadRequests = static name => name == EventName;

    private readonly ActivityRecorder _recorder;
    private readonly GatewayMetrics _metrics;
    private readonly ConfigurationMonitor _configuration;
    private readonly ILogger<BadRequestRecorder> _logger;
    private readonly string _gatewayName;
    private readonly IDisposable _subscription;

    public BadRequestRecorder(
        DiagnosticListener listener, ActivityRecorder recorder, GatewayMetrics metrics, ConfigurationMonitor configuration, GatewayOptions options,
        ILogger<BadRequestRecorder> logger)
    {
        _recorder = recorder;
        _metrics = metrics;
        _configuration = configuration;
        _logger = logger;
        _gatewayName = options.Name;
        _subscription = listener.Subscribe(this, OnlyBadRequests);
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key != EventName || value.Value is not IFeatureCollection features || features.Get<GatewayRequestFeature>() is not null)
        {
            return;
        }

        // Called on Kestrel's connection path: whatever goes wrong here must not break Kestrel's own answer.
        try
        {
            ActivityRecord record = Build(features, DateTimeOffset.UtcNow);
            _recorder.Record(record);
            _metrics.RecordRequest(null, record.Action, record.HttpStatus);
            _metrics.RecordClientError(NoApp, ErrorId);
        }
        catch (Exception ex)
        {
            LogNotRecorded(ex.GetType().Name, ex.Message);
        }
    }

    internal ActivityRecord Build(IFeatureCollection features, DateTimeOffset at)
    {
        Exception? error = features.Get<IBadRequestExceptionFeature>()?.Error;
        int status = error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
        IHttpRequestFeature? request = features.Get<IHttpRequestFeature>();
        IPAddress? peer = features.Get<IHttpConnectionFeature>()?.RemoteIpAddress;
        string host = request?.Headers.Host.ToString() ?? "";
        string reason = OneLine(error?.Message ?? "malformed request");
        // What Kestrel parsed before it gave up (often nothing): the reason carries what the client sent.
        return ActivityMiddleware.Refused(
            at, CorrelationIds.Next(at), host.Length > 0 ? host : null, request?.Path is { Length: > 0 } path ? path : "/",
            request?.Method ?? "", peer is { IsIPv4MappedToIPv6: true } ? peer.MapToIPv4() : peer, request?.Headers.UserAgent.ToString(),
            features.Get<ITlsConnectionFeature>()?.ClientCertificate, Message, status, _configuration.Current?.Revision ?? 0, _gatewayName,
            $"{ErrorId}: {reason}", ErrorSources.Client);
    }

    /// <summary>
    /// Records an HTTP/2 stream or connection Kestrel refused before it made a request of it (a header block HTTP/2
    /// forbids, a pseudo-header missing or malformed: <see cref="Http2RefusalLoggerProvider"/>). Kestrel answers those with
    /// RST_STREAM or GOAWAY, not a status, and raises no <see cref="EventName"/> for them: the record says 400, what
    /// HTTP/1.1 answers for the same header, with the connection's client address and certificate.
    /// </summary>
    public void RecordHttp2Refusal(Microsoft.AspNetCore.Connections.ConnectionContext? connection, string reason)
    {
        try
        {
            ActivityRecord record = BuildHttp2Refusal(connection, reason, DateTimeOffset.UtcNow);
            _recorder.Record(record);
            _metrics.RecordRequest(null, record.Action, record.HttpStatus);
            _metrics.RecordClientError(NoApp, ErrorId);
        }
        catch (Exception ex)
        {
            LogNotRecorded(ex.GetType().Name, ex.Message);
        }
    }

    internal ActivityRecord BuildHttp2Refusal(Microsoft.AspNetCore.Connections.ConnectionContext? connection, string reason, DateTimeOffset at)
    {
        IPAddress? peer = (connection?.RemoteEndPoint as IPEndPoint)?.Address;
        return ActivityMiddleware.Refused(
            at, CorrelationIds.Next(at), null, "/", "", peer is { IsIPv4MappedToIPv6: true } ? peer.MapToIPv4() : peer, null,
            connection?.Features.Get<ITlsConnectionFeature>()?.ClientCertificate, Message, StatusCodes.Status400BadRequest,
            _configuration.Current?.Revision ?? 0, _gatewayName, $"{ErrorId}: {OneLine(reason)}", ErrorSources.Client);
    }

    // The reason quotes the client's bytes escaped (\x0D...), but never trust that: one line, bounded.
    private static string OneLine(string text)
    {
        string line = string.Create(Math.Min(text.Length, MaxReasonLength), text, static (span, source) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
        return text.Length > MaxReasonLength ? line + "..." : line;
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose() => _subscription.Dispose();

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "A request Kestrel refused could not be recorded: {Error} {Reason}")]
    private partial void LogNotRecorded(string error, string reason);
}
