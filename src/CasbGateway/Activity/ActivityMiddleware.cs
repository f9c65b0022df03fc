using System.Diagnostics;
using System.Net;
using CasbCore.Activity;
using CasbCore.Policies;
using CasbGateway.Configuration;
using CasbGateway.Enforcement;
using CasbGateway.Hosting;
using CasbGateway.Telemetry;

namespace CasbGateway.Activity;

/// <summary>
/// Outermost enforcement middleware: gives the request its correlation id and configuration revision, fails closed
/// on any exception from inside (<see cref="FailClosed"/>), and after the response writes one activity record and
/// the request metric, whatever happened inside.
/// </summary>
internal sealed class ActivityMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ConfigurationMonitor _configuration;
    private readonly ActivityRecorder _recorder;
    private readonly GatewayMetrics _metrics;
    private readonly FailClosed _failClosed;
    private readonly string _gatewayName;

    public ActivityMiddleware(
        RequestDelegate next, ConfigurationMonitor configuration, ActivityRecorder recorder, GatewayMetrics metrics, FailClosed failClosed, GatewayOptions options)
    {
        _failClosed = failClosed;
        _next = next;
        _configuration = configuration;
        _recorder = recorder;
        _metrics = metrics;
        _gatewayName = options.Name;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        IPAddress? peer = context.Connection.RemoteIpAddress;
        DateTimeOffset at = DateTimeOffset.UtcNow;
        var feature = new GatewayRequestFeature
        {
            // Never the client's traceparent: two requests could then share one id and mix up their records. The id
            // carries the request's start (a version-7 UUID), which tells Get-CasbActivity where its record is.
            CorrelationId = CorrelationIds.Next(at),
            TraceId = TraceIdOf(context),
            At = at,
            State = _configuration.Current,
            RemoteAddress = peer is { IsIPv4MappedToIPv6: true } ? peer.MapToIPv4() : peer,
        };
        feature.ClientAddress = feature.RemoteAddress;
        context.Features.Set(feature);
        context.Response.Headers[ResponsePages.CorrelationHeader] = feature.CorrelationId;

        try
        {
            await _next(context);
        }
        catch (Exception ex) when (FailClosed.Applies(ex, context))
        {
            await _failClosed.RespondAsync(context, ex);
        }
        finally
        {
            if (!TryCountRepeat(context, feature))
            {
                ActivityRecord record = Build(context, feature);
                _recorder.Record(record);
                _metrics.RecordRequest(record.App, record.Action, record.HttpStatus);
            }
        }
    }

    // Activity volume Summary: a repeated allowed request is counted by its user, app and device without its record (the
    // explanation, the strings, the arrays) being built. The conditions are those under which Build makes a record the
    // summarizer may fold (ActivitySummarizer.IsFoldable): the engine's Allow, proxied, no file, no error.
    private bool TryCountRepeat(HttpContext context, GatewayRequestFeature feature)
    {
        if (feature.Decision is not { Action: AccessAction.Allow } decision || feature.Request is null
            || feature.FailedClosed || feature.NoApp || feature.File is not null || feature.Error is not null)
        {
            return false;
        }

        int status = context.Response.StatusCode;
        if (!_recorder.TryCountRepeat(decision.User, decision.App, decision.Certificate?.Thumbprint, feature.Request.At, BodyBytes(context), decision.Revision))
        {
            return false;
        }

        _metrics.RecordRequest(decision.App, AllowAction, status);
        return true;
    }

    private static readonly string AllowAction = nameof(AccessAction.Allow);

    /// <summary>
    /// The W3C trace id the request runs under: the current activity's when a tracer started one, else the client's
    /// valid traceparent, else none (no activity is started per request just to make up an id nobody else knows).
    /// </summary>
    internal static string? TraceIdOf(HttpContext context)
    {
        if (System.Diagnostics.Activity.Current is { } trace)
        {
            return trace.TraceId.ToHexString();
        }

        string? traceParent = context.Request.Headers.TraceParent;
        return traceParent is not null && ActivityContext.TryParse(traceParent, null, out ActivityContext client)
            ? client.TraceId.ToHexString()
            : null;
    }

    // One record object on the common path: the trace id and error source go in as it is made, not through a copy.
    private ActivityRecord Build(HttpContext context, GatewayRequestFeature feature)
    {
        int status = context.Response.StatusCode;
        string method = context.Request.Method;
        string? errorSource = feature.Error is null ? null : feature.ErrorSource;
        if (feature.Decision is { } decision && feature.Request is not null)
        {
            ActivityRecord fromDecision = ActivityRecord.FromDecision(
                decision, feature.Request, method, status, feature.DecisionLatencyMs, feature.UpstreamLatencyMs, _gatewayName, feature.Error,
                feature.TraceId, errorSource, BodyBytes(context));
            if (!feature.FailedClosed && !feature.NoApp)
            {
                return feature.File is { } file ? fromDecision.WithFile(file) : fromDecision;
            }

            // Nothing was proxied: the record says Block whatever the engine answered.
            return fromDecision with
            {
                Action = nameof(AccessAction.Block),
                BlockMessage = feature.NoApp ? ResponsePages.NoAppMessage : ResponsePages.GenericBlockMessage,
                UpstreamLatencyMs = null,
            };
        }

        // Refused (an ambiguous path) or failed before the engine answered.
        return Refused(
            feature.At, feature.CorrelationId, RequestHosts.HostOf(context.Request), feature.RefusedPath ?? context.Request.Path.Value ?? "/", method,
            feature.ClientAddress, context.Request.Headers.UserAgent.ToString(), context.Connection.ClientCertificate,
            feature.RefusedMessage ?? ResponsePages.GenericBlockMessage, status, feature.State?.Revision ?? 0, _gatewayName,
            feature.Error, errorSource, feature.TraceId, BodyBytes(context));
    }

    /// <summary>
    /// The record of a request refused before the engine decided it (here, and Kestrel's own refusals in
    /// <see cref="BadRequestRecorder"/>): Block, no app, anonymous, the client's address and certificate as presented.
    /// </summary>
    internal static ActivityRecord Refused(
        DateTimeOffset at, string correlationId, string? host, string path, string method, IPAddress? client, string? userAgent,
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, string blockMessage, int status, long revision,
        string gateway, string? error, string? errorSource, string? traceId = null, long? bytes = null) => new()
    {
        Time = at,
        CorrelationId = correlationId,
        Host = host,
        Path = path,
        Method = method,
        UserSource = UserSources.Anonymous,
        SourceIp = client?.ToString(),
        UserAgent = string.IsNullOrEmpty(userAgent) ? null : userAgent,
        CertificateSubject = certificate?.Subject,
        CertificateIssuer = certificate?.Issuer,
        CertificateThumbprint = certificate?.Thumbprint,
        CertificateStatus = certificate is null ? nameof(CasbCore.Certificates.CertificateFailureReason.NoCertificate) : null,
        Action = nameof(AccessAction.Block),
        BlockMessage = blockMessage,
        HttpStatus = status,
        Revision = revision,
        Gateway = gateway,
        Error = error,
        TraceId = traceId,
        ErrorSource = errorSource,
        Bytes = bytes,
    };

    // What the headers say (activity volume sums it): counting the streamed bodies would cost every request a wrapper stream.
    internal static long? BodyBytes(HttpContext context) =>
        (context.Request.ContentLength, ResponseCarriesBody(context) ? context.Response.ContentLength : null) switch
        {
            (null, null) => null,
            (var request, var response) => (request ?? 0) + (response ?? 0),
        };

    /// <summary>
    /// False for an answer whose Content-Length is the length of a representation it does not carry (RFC 9110 8.6): the
    /// answer to a HEAD and a 304 announce the file's length and send no byte of it, and a 1xx, 204 or 205 has none. A
    /// download manager's HEAD of a 4 GB image was recorded, and summed in a Summary record, as 4 GB moved.
    /// </summary>
    private static bool ResponseCarriesBody(HttpContext context) =>
        context.Response.StatusCode is >= 200 and not StatusCodes.Status204NoContent and not StatusCodes.Status205ResetContent
            and not StatusCodes.Status304NotModified
        && !HttpMethods.IsHead(context.Request.Method);
}
