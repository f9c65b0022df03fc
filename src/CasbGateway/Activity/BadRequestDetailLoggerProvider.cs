using Microsoft.Extensions.Logging.Abstractions;

namespace CasbGateway.Activity;

/// <summary>
/// Makes Kestrel quote what a client sent in the reason of a request it refuses. Kestrel's HTTP/1.1 parser writes the
/// offending request line or header into its exception message (escaped, at most 128 bytes) only when its general log
/// category is enabled at Information, once, when the server starts; the gateway keeps "Microsoft.AspNetCore" at
/// Warning for the console, so every refusal's record (<see cref="BadRequestRecorder"/>) said "Invalid request target:
/// ''" on path "/": nothing an admin could tell a probe by. This provider enables that one category at Information
/// (<see cref="Hosting.GatewayApp"/> lets it through for this provider only) and writes nothing: the console is unchanged.
/// </summary>
internal sealed class BadRequestDetailLoggerProvider : ILoggerProvider
{
    /// <summary>Kestrel's general category, whose Information level switches the parser's details on.</summary>
    public const string Category = "Microsoft.AspNetCore.Server.Kestrel";

    // Its sub-categories (BadRequests, Connections, Http2...) keep their own levels: only the exact name is enabled.
    public ILogger CreateLogger(string categoryName) =>
        categoryName == Category ? EnabledLogger.Instance : NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class EnabledLogger : ILogger
    {
        public static readonly EnabledLogger Instance = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }
    }
}
