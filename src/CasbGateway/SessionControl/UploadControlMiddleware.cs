using Microsoft.AspNetCore.Http.Features;
using CasbCore.Policies;
using CasbGateway.Enforcement;

namespace CasbGateway.SessionControl;

/// <summary>
/// The request stage of session control: an upload in a session that carries session controls is decided by the
/// engine (<c>CasbEngine.DecideFile</c>, the call Test-CasbAccess -Upload makes) before anything is forwarded.
/// One blocked file blocks the request (403 block page; the upstream is never contacted). Requests outside App
/// Control, and requests that carry no file, pass without their body being read.
/// </summary>
internal sealed partial class UploadControlMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger<UploadControlMiddleware> _logger;

    public UploadControlMiddleware(RequestDelegate next, ILogger<UploadControlMiddleware> logger)
    {
        _next = next;
        _logger = logger;
    }

    // Not async itself: most requests pass straight on, and an async frame per request costs a state machine.
    public Task InvokeAsync(HttpContext context)
    {
        GatewayRequestFeature feature = context.Features.GetRequiredFeature<GatewayRequestFeature>();
        return feature is { Decision: { SessionControls: not null } decision, State: { } state } && UploadDetector.MayCarryFiles(context.Request)
            ? DecideUploadsAsync(context, feature, decision, state)
            : _next(context);
    }

    private async Task DecideUploadsAsync(HttpContext context, GatewayRequestFeature feature, AccessDecision decision, Configuration.EngineState state)
    {
        IReadOnlyList<FileTransfer> uploads;
        try
        {
            uploads = await UploadDetector.ReadUploadsAsync(context.Request, context.RequestAborted);
        }
        catch (BadHttpRequestException ex)
        {
            // The client's body is too large, too slow or malformed: its fault, answered as forwarding answers it.
            feature.ErrorSource = ErrorSources.Client;
            feature.Error = $"{ErrorSources.Client} upload body: {ex.Message}";
            (string code, string title, string message) = ex.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => ("request_too_large", "Request too large", "The request body is larger than this gateway accepts."),
                StatusCodes.Status408RequestTimeout => ("request_timeout", "Request timed out", "The request body arrived too slowly."),
                _ => ("bad_request", "Bad request", "The request could not be read: its body was malformed or cut short."),
            };
            await ResponsePages.WriteAsync(context, ex.StatusCode, code, title, message, decision.App, feature.CorrelationId, feature.At, decision.ClientAppType);
            return;
        }

        FileDecision? decisive = null;
        foreach (FileTransfer upload in uploads)
        {
            FileDecision file = state.Engine.DecideFile(decision, upload);
            if (decisive is null || file.Action > decisive.Action)
            {
                decisive = file; // Block over Audit over Allow: what the request as a whole gets
            }
        }

        feature.File = decisive;
        if (decisive is { Action: FileAction.Block })
        {
            LogBlocked(feature.CorrelationId, decision.App ?? "", decisive.FileName, decisive.Policy);
            await ResponsePages.WriteAsync(
                context, StatusCodes.Status403Forbidden, "upload_blocked", ResponsePages.BlockTitle,
                decisive.BlockMessage ?? ResponsePages.DefaultBlockMessage, decision.App, feature.CorrelationId, feature.At,
                decision.ClientAppType);
            return;
        }

        await _next(context);
    }

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Request {CorrelationId} to app {App}: upload of {File} blocked by {Policy}.")]
    private partial void LogBlocked(string correlationId, string app, string? file, string? policy);
}
