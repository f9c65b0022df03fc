using Microsoft.AspNetCore.Http.Features;
using System.Diagnostics;
using CasbCore.Policies;
using CasbGateway.Configuration;
using CasbGateway.Telemetry;

namespace CasbGateway.Enforcement;

/// <summary>
/// Asks the engine about the request. An ambiguous path: 400 page, not decided (see <see cref="RequestPath"/>).
/// No app: 404 page. Block: 403 block page (the upstream is never contacted). Allow or Monitor: on to
/// forwarding. Exceptions propagate to <see cref="FailClosedMiddleware"/>.
/// </summary>
internal sealed partial class DecisionMiddleware
{
    /// <summary>The title of the page for a request refused with 400 because its path is ambiguous.</summary>
    public const string AmbiguousTitle = "Address not accepted";

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

        // The raw target, not Request.Path: Kestrel has already decoded and dot-resolved Request.Path but not merged
        // slashes, and the engine must see the one canonical form Test-CasbAccess sees and the upstream receives.
        string rawTarget = RawTarget(context);
        if (!RequestPath.TryParse(rawTarget, out RequestPath? path, out string? problem))
        {
            int queryStart = rawTarget.IndexOfAny(['?', '#']);
            feature.RefusedPath = queryStart < 0 ? rawTarget : rawTarget[..queryStart];
            feature.RefusedMessage = $"This address cannot be used: {problem}. Servers read such addresses in different ways, so the gateway refuses it rather than guess which app it is for.";
            feature.Error = $"{RequestPath.AmbiguousErrorId}: {problem}";
            feature.ErrorSource = ErrorSources.Client;
            LogAmbiguousPath(feature.CorrelationId, context.Request.Host.Host, feature.RefusedPath, problem);
            return ResponsePages.WriteAsync(
                context, StatusCodes.Status400BadRequest, "request_path_ambiguous", AmbiguousTitle, feature.RefusedMessage,
                null, feature.CorrelationId, feature.At, null);
        }

        feature.Path = path;
        if (SignIn.SignInPaths.IsReserved(path.Escaped))
        {
            // Nothing under /.casb is ever forwarded, in the reading the upstream would get: Kestrel's Request.Path, which
            // the sign-in endpoints look at, resolves ".." against an empty segment ("/x//../.casb" is "/x/.casb"), the
            // canonical path merges the slashes first ("/.casb").
            feature.NoApp = true;
            return SignIn.SignInPages.NotFoundAsync(context, feature.CorrelationId);
        }

        string userAgent = context.Request.Headers.UserAgent.ToString();
        var request = new AccessRequest
        {
            Host = RequestHosts.HostOf(context.Request),
            Path = path.Escaped,
            IdentityHeaderValue = feature.IdentityHeaderValue,
            SignInClaims = feature.SignInClaims,
            RemoteAddress = feature.RemoteAddress,
            ClientAddress = feature.ClientAddress,
            ClientAddressUnknown = feature.ClientAddress is null,
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

        if (decision.App is null || !state.Apps.TryGetValue(decision.App, out CasbCore.Model.AppEntry? app))
        {
            feature.NoApp = true;
            LogNoApp(feature.CorrelationId, request.Host ?? "", request.Path);
            return ResponsePages.WriteAsync(
                context, StatusCodes.Status404NotFound, "app_not_found", "App not found", ResponsePages.NoAppMessage,
                null, feature.CorrelationId, feature.At, decision.ClientAppType);
        }

        feature.App = app;
        if (decision.SignInRequired)
        {
            return SignIn.SignInRequiredResponse.WriteAsync(context, state, decision, feature.CorrelationId, feature.At);
        }

        if (decision.Action == AccessAction.Block)
        {
            LogBlocked(feature.CorrelationId, decision.App, decision.BlockingPolicy);
            string message = string.IsNullOrWhiteSpace(decision.BlockMessage) ? ResponsePages.DefaultBlockMessage : decision.BlockMessage;
            return ResponsePages.WriteAsync(
                context, StatusCodes.Status403Forbidden, "access_blocked", ResponsePages.BlockTitle, message,
                decision.App, feature.CorrelationId, feature.At, decision.ClientAppType, BlockDetail.For(decision, state.BlockPageDetail),
                decision.UserSource == UserSources.SignIn ? decision.User : null);
        }

        return _next(context);
    }

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Request {CorrelationId} to {Host}{Path} refused (400): {Problem}.")]
    private partial void LogAmbiguousPath(string correlationId, string host, string path, string problem);

    /// <summary>The request target as the client sent it (the input of <see cref="RequestPath.TryParse"/>).</summary>
    internal static string RawTarget(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } target
            ? target
            : context.Request.PathBase.Add(context.Request.Path).ToUriComponent() + context.Request.QueryString.ToUriComponent();

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Request {CorrelationId} to {Host}{Path}: no app is published there (404).")]
    private partial void LogNoApp(string correlationId, string host, string path);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Request {CorrelationId} to app {App} blocked by policy {Policy}.")]
    private partial void LogBlocked(string correlationId, string app, string? policy);
}
