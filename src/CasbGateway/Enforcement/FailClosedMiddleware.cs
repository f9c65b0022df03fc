using Microsoft.AspNetCore.Http.Features;
using CasbCore;

namespace CasbGateway.Enforcement;

/// <summary>
/// Any exception before the response starts blocks the request: a 403 block page with a generic message,
/// the error logged and recorded. Never a stack trace to the client.
/// </summary>
internal sealed partial class FailClosedMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger<FailClosedMiddleware> _logger;

    public FailClosedMiddleware(RequestDelegate next, ILogger<FailClosedMiddleware> logger)
    {
        _next = next;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await _next(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            GatewayRequestFeature feature = context.Features.GetRequiredFeature<GatewayRequestFeature>();
            feature.ErrorSource = ErrorSources.Gateway;
            feature.Error = ex is CasbException casb ? $"{casb.ErrorId}: {casb.Message}" : $"{ex.GetType().Name}: {ex.Message}";
            LogFailedClosed(ex, feature.CorrelationId, context.Request.Host.Host, context.Request.Path.Value);
            if (context.Response.HasStarted)
            {
                // Part of an upstream response is already out: the only safe end is to cut the connection.
                context.Abort();
                return;
            }

            feature.FailedClosed = true;
            await ResponsePages.WriteAsync(
                context, StatusCodes.Status403Forbidden, "access_blocked", ResponsePages.BlockTitle, ResponsePages.GenericBlockMessage,
                feature.Decision?.App, feature.CorrelationId, feature.At, feature.Decision?.ClientAppType);
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Request {CorrelationId} to {Host}{Path} failed closed (blocked).")]
    private partial void LogFailedClosed(Exception exception, string correlationId, string host, string? path);
}
