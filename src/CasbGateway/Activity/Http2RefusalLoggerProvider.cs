using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace CasbGateway.Activity;

/// <summary>
/// Records the HTTP/2 streams and connections Kestrel refuses by itself. Over HTTP/1.1 a header Kestrel cannot accept
/// (a NUL, CR or LF in a value, a malformed target) is a 400 that Kestrel reports as a diagnostic event
/// (<see cref="BadRequestRecorder"/>); over HTTP/2 the same header (and an uppercase or connection-specific name, an
/// unknown or missing pseudo-header, a :path that is no path) ends the stream with RST_STREAM or the connection with
/// GOAWAY, and Kestrel reports it only in its own HTTP/2 log category, at Debug. Without this such a probe, over the
/// protocol browsers use, left no activity record at all. This provider takes that category's refusal events and
/// nothing else (<see cref="GatewayApp"/> enables the category at Debug for this provider only: the console still
/// gets Warning and above), each as one record through <see cref="BadRequestRecorder.RecordHttp2Refusal"/>.
/// </summary>
/// <remarks>
/// Kestrel logs a refusal on the connection's own async flow, where <see cref="Enter"/> left the connection: its
/// client address and certificate go in the record. Not recorded: a stream error after a request was made of the
/// stream (a body longer than its Content-Length, a reset of the application's): the request's own record says so.
/// </remarks>
internal sealed class Http2RefusalLoggerProvider(IServiceProvider services) : ILoggerProvider
{
    public const string Category = "Microsoft.AspNetCore.Server.Kestrel.Http2";

    private static readonly AsyncLocal<ConnectionContext?> CurrentConnection = new();

    private BadRequestRecorder? _recorder;

    /// <summary>Called once per HTTP/2 connection, after the handshake, on the flow Kestrel then reads its frames on.</summary>
    public static void Enter(ConnectionContext connection) => CurrentConnection.Value = connection;

    public ILogger CreateLogger(string categoryName) =>
        categoryName == Category ? new RefusalLogger(this) : NullLogger.Instance;

    public void Dispose()
    {
    }

    private void Record(string reason) =>
        (_recorder ??= services.GetRequiredService<BadRequestRecorder>()).RecordHttp2Refusal(CurrentConnection.Value, reason);

    /// <summary>
    /// Kestrel's event names (KestrelTrace): a connection error (GOAWAY), an HPACK block that does not decode, and a
    /// stream reset for a protocol error, which Kestrel sends for a request whose pseudo-headers it refuses.
    /// </summary>
    private static string? ReasonOf<TState>(EventId eventId, TState state, Exception? exception) => eventId.Name switch
    {
        "Http2ConnectionError" => $"HTTP/2 connection error: {exception?.Message}",
        "HPackDecodingError" => $"HTTP/2 header block does not decode: {exception?.Message}",
        "Http2StreamResetAbort" when ErrorCodeOf(state) == "PROTOCOL_ERROR" => $"HTTP/2 stream refused: {exception?.Message}",
        _ => null,
    };

    private static string? ErrorCodeOf<TState>(TState state)
    {
        if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            foreach (KeyValuePair<string, object?> value in values)
            {
                if (value.Key == "error")
                {
                    return value.Value?.ToString();
                }
            }
        }

        return null;
    }

    private sealed class RefusalLogger(Http2RefusalLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (ReasonOf(eventId, state, exception) is { } reason)
            {
                provider.Record(reason);
            }
        }
    }
}
