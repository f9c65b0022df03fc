using Microsoft.AspNetCore.Http.Features;
using CasbCore;

namespace CasbGateway.Enforcement;

/// <summary>
/// Any exception before the response starts blocks the request: a 403 block page with a generic message,
/// the error logged and recorded. Never a stack trace to the client. Called from the catch of
/// <see cref="Activity.ActivityMiddleware"/>, the outermost enforcement middleware (one async frame for both
/// instead of two per request), so the record written after it sees the block.
/// </summary>
internal sealed partial class FailClosed
{
    private readonly ILogger<FailClosed> _logger;

    public FailClosed(ILogger<FailClosed> logger)
    {
        _logger = logger;
    }

    /// <summary>Every exception fails closed except the client's own cancellation (nobody is left to answer).</summary>
    public static bool Applies(Exception exception, HttpContext context) =>
        exception is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested;

    public Task RespondAsync(HttpContext context, Exception exception)
    {
        GatewayRequestFeature feature = context.Features.GetRequiredFeature<GatewayRequestFeature>();
        feature.ErrorSource = ErrorSources.Gateway;
        feature.Error = exception is CasbException casb ? $"{casb.ErrorId}: {casb.Message}" : $"{exception.GetType().Name}: {exception.Message}";
        LogFailedClosed(exception, feature.CorrelationId, context.Request.Host.Host, context.Request.Path.Value);
        if (context.Response.HasStarted)
        {
            // Part of an upstream response is already out: the only safe end is to cut the connection.
            context.Abort();
            return Task.CompletedTask;
        }

        feature.FailedClosed = true;
        return ResponsePages.WriteAsync(
            context, StatusCodes.Status403Forbidden, "access_blocked", ResponsePages.BlockTitle, ResponsePages.GenericBlockMessage,
            feature.Decision?.App, feature.CorrelationId, feature.At, feature.Decision?.ClientAppType);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Request {CorrelationId} to {Host}{Path} failed closed (blocked).")]
    private partial void LogFailedClosed(Exception exception, string correlationId, string host, string? path);
}
