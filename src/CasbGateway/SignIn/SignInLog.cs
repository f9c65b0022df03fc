namespace CasbGateway.SignIn;

/// <summary>The gateway log's sign-in events (JSON console log, like every other gateway event).</summary>
internal sealed partial class SignInLog(ILogger<SignInLog> logger)
{
    private readonly ILogger<SignInLog> _logger = logger;

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "User {User} signed in at {Host} with {IdentityProvider}.")]
    public partial void LogSignedIn(string host, string user, string identityProvider);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Sign-in at {Host} failed ({Error}), request {CorrelationId}.")]
    public partial void LogSignInFailed(Exception? exception, string host, string error, string correlationId);

    [LoggerMessage(EventId = 42, Level = LogLevel.Information, Message = "User {User} signed out at {Host}.")]
    public partial void LogSignedOut(string host, string? user);

    [LoggerMessage(EventId = 43, Level = LogLevel.Error, Message = "Sign-in at {Host} is unavailable ({Reason}), request {CorrelationId}.")]
    public partial void LogUnavailable(Exception? exception, string host, string reason, string correlationId);

    [LoggerMessage(EventId = 47, Level = LogLevel.Error, Message = "User {User} could not sign out at {Host}: the sign-out could not be recorded in the store, so the session goes on, request {CorrelationId}.")]
    public partial void LogSignOutNotRecorded(Exception exception, string host, string? user, string correlationId);

    [LoggerMessage(EventId = 48, Level = LogLevel.Information, Message = "The identity provider's back-channel logout at {Host} ended the sessions of {Ended}.")]
    public partial void LogBackChannelLogout(string host, string ended);

    [LoggerMessage(EventId = 49, Level = LogLevel.Warning, Message = "A back-channel logout at {Host} was refused ({Reason}), request {CorrelationId}.")]
    public partial void LogBackChannelLogoutRefused(Exception? exception, string host, string reason, string correlationId);

    [LoggerMessage(EventId = 44, Level = LogLevel.Warning, Message = "The session key ring has no key of ours before sign-in starts ({Reason}): ASP.NET Core makes one at the first sign-in; the next configuration change tries again.")]
    public partial void LogKeyRingNotReady(Exception exception, string reason);
}
