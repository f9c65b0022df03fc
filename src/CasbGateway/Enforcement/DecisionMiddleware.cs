using Microsoft.AspNetCore.Http.Features;
using System.Diagnostics;
using CasbCore.Policies;
using CasbGateway.Configuration;
using CasbGateway.Telemetry;

namespace CasbGateway.Enforcement;

/// <summary>
/// Asks the engine about the request. No app: 404 page. Block: 403 block page (the upstream is never
/// contacted). Allow or Monitor: on to forwarding. Exceptions propagate to <see cref="FailClosedMiddleware"/>.
/// </summary>
internal sealed partial class DecisionMiddleware
{
    private readonly RequestDelegate _next;
    private readonly IAccessDecider _decider;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger<DecisionMiddleware> _logger;

    public DecisionMiddleware(RequestDelegate next, IAccessDecider decider, GatewayMetrics metrics, ILogger<DecisionMiddleware> logger)
    {
        _next = next;
        _decider = decider;
        _metrics = metrics;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        GatewayRequestFeature feature = context.Features.GetRequiredFeature<GatewayRequestFeature>();
        EngineState state = feature.State ?? throw new InvalidOperationException("No configuration is loaded.");
        string userAgent = context.Request.Headers.UserAgent.ToString();
        var request = new AccessRequest
        {
            Host = context.Request.Host.Host,
            Path = context.Request.Path.HasValue ? context.Request.Path.Value! : "/",
            IdentityHeaderValue = feature.IdentityHeaderValue,
            RemoteAddress = feature.RemoteAddress,
            ClientAddress = feature.ClientAddress,
            UserAgent = userAgent.Length > 0 ? userAgent : null,
            ClientCertificate = context.Connection.ClientCertificate,
            At = feature.At,
            CorrelationId = feature.CorrelationId,
        };
        feature.Request = request;

        long started = Stopwatch.GetTimestamp();
        AccessDecision decision = _decider.Decide(state, request);
        feature.DecisionLatencyMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        feature.Decision = decision;
        _metrics.RecordDecision(feature.DecisionLatencyMs.Value);
        if (decision.Certificate is { IsValid: false } certificate)
        {
            _metrics.RecordCertificateFailure(certificate.Status);
        }

        if (decision.App is null || !state.Apps.ContainsKey(decision.App))
        {
            feature.NoApp = true;
            LogNoApp(feature.CorrelationId, request.Host ?? "", request.Path);
            return ResponsePages.WriteAsync(
                context, StatusCodes.Status404NotFound, "app_not_found", "App not found", ResponsePages.NoAppMessage,
                null, feature.CorrelationId, feature.At, decision.ClientAppType);
        }

        if (decision.Action == AccessAction.Block)
        {
            LogBlocked(feature.CorrelationId, decision.App, decision.BlockingPolicy);
            string message = string.IsNullOrWhiteSpace(decision.BlockMessage) ? ResponsePages.DefaultBlockMessage : decision.BlockMessage;
            return ResponsePages.WriteAsync(
                context, StatusCodes.Status403Forbidden, "access_blocked", ResponsePages.BlockTitle, message,
                decision.App, feature.CorrelationId, feature.At, decision.ClientAppType, BlockDetail.For(decision, state.BlockPageDetail));
        }

        return _next(context);
    }

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Request {CorrelationId} to {Host}{Path}: no app is published there (404).")]
    private partial void LogNoApp(string correlationId, string host, string path);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Request {CorrelationId} to app {App} blocked by policy {Policy}.")]
    private partial void LogBlocked(string correlationId, string app, string? policy);
}
