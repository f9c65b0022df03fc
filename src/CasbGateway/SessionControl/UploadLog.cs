namespace CasbGateway.SessionControl;

internal static partial class UploadLog
{
    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Request {CorrelationId} to app {App}: upload of {File} blocked by {Policy}.")]
    public static partial void UploadBlocked(this ILogger logger, string correlationId, string app, string? file, string? policy);
}
