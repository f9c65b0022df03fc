using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// An OTLP/HTTP logs receiver (Kestrel, loopback port 0) that keeps what it accepted, as a collector would, and
/// decompresses a gzip request body as every OTLP receiver must. It can be told to fail (503 with Retry-After), to
/// answer any status, or to refuse requests above a number of records (413).
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>While true every request gets 503 Service Unavailable with Retry-After: 1.</summary>
    public volatile bool Failing;

    /// <summary>When not 0, every request is answered with this status and an OTLP Status body ({"message": ...}).</summary>
    public volatile int AnswerStatus;

    /// <summary>Sent as Retry-After with <see cref="AnswerStatus"/> when set.</summary>
    public volatile string? AnswerRetryAfter;

    /// <summary>Sent as Location with <see cref="AnswerStatus"/> when set (a redirect).</summary>
    public volatile string? AnswerLocation;

    /// <summary>Every request that arrived, whatever it was answered: path and query.</summary>
    public ConcurrentQueue<string> Arrived { get; } = new();

    /// <summary>Requests with more log records than this get 413.</summary>
    public int MaxRecordsPerRequest { get; set; } = int.MaxValue;

    /// <summary>While true every request is answered 200 with a partial success that refuses all its records.</summary>
    public volatile bool RejectingAll;

    /// <summary>While set, every request is answered 200 with a partial success whose rejectedLogRecords is this JSON value as it is.</summary>
    public volatile string? AnswerRejected;

    /// <summary>The reason phrase of the answer when set (a receiver's own words, of any characters).</summary>
    public volatile string? AnswerReasonPhrase;

    /// <summary>How long the receiver takes before it answers each request (a slow collector).</summary>
    public TimeSpan AnswerDelay { get; set; }

    /// <summary>While true every answer (of any status) is JSON that never ends: whitespace after its first bytes until the client goes away.</summary>
    public volatile bool EndlessBody;

    /// <summary>The requests answered 200: path, headers and body.</summary>
    public ConcurrentQueue<OtlpRequest> Accepted { get; } = new();

    public int Refused => Volatile.Read(ref _refused);

    private int _refused;

    public static async Task<OtlpReceiver> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new OtlpReceiver(builder.Build());
        receiver._app.MapPost("/v1/logs", receiver.ReceiveAsync);
        await receiver._app.StartAsync();
        receiver.Url = new Uri(receiver._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return receiver;
    }

    /// <summary>Every log record accepted so far, in arrival order, with its resource.</summary>
    public IReadOnlyList<OtlpLogRecord> LogRecords() =>
        Accepted.SelectMany(r => r.Body.RootElement.GetProperty("resourceLogs").EnumerateArray().SelectMany(resource =>
            resource.GetProperty("scopeLogs").EnumerateArray().SelectMany(scope => scope.GetProperty("logRecords").EnumerateArray()
                .Select(record => new OtlpLogRecord(resource.GetProperty("resource"), scope.GetProperty("scope"), record))))).ToList();

    /// <summary>Waits (up to 10 s) until at least <paramref name="count"/> log records arrived.</summary>
    public async Task<IReadOnlyList<OtlpLogRecord>> WaitForLogRecordsAsync(int count)
    {
        for (int i = 0; i < 200 && LogRecords().Count < count; i++)
        {
            await Task.Delay(50);
        }

        return LogRecords();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        Arrived.Enqueue(context.Request.Path + context.Request.QueryString);
        if (AnswerDelay > TimeSpan.Zero)
        {
            await Task.Delay(AnswerDelay);
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        int wireBytes = (int)buffer.Length;
        string? encoding = context.Request.Headers.ContentEncoding.Count > 0 ? context.Request.Headers.ContentEncoding.ToString() : null;
        byte[] json = buffer.ToArray();
        if (encoding == "gzip")
        {
            using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(json), System.IO.Compression.CompressionMode.Decompress);
            using var plain = new MemoryStream();
            await gzip.CopyToAsync(plain);
            json = plain.ToArray();
        }

        if (AnswerStatus != 0)
        {
            context.Response.StatusCode = AnswerStatus;
            if (AnswerReasonPhrase is { } reason)
            {
                context.Features.GetRequiredFeature<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>().ReasonPhrase = reason;
            }
            if (AnswerRetryAfter is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }

            if (AnswerLocation is { } location)
            {
                context.Response.Headers.Location = location;
            }

            context.Response.ContentType = "application/json";
            await AnswerAsync(context, $"{{\"code\":3,\"message\":\"refused by the test with {AnswerStatus}\"}}");
            return;
        }

        if (Failing)
        {
            Interlocked.Increment(ref _refused);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            return;
        }

        JsonDocument body = JsonDocument.Parse(json);
        int records = body.RootElement.GetProperty("resourceLogs").EnumerateArray()
            .SelectMany(r => r.GetProperty("scopeLogs").EnumerateArray()).Sum(s => s.GetProperty("logRecords").GetArrayLength());
        if (records > MaxRecordsPerRequest)
        {
            Interlocked.Increment(ref _refused);
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        Accepted.Enqueue(new OtlpRequest(
            context.Request.Path, context.Request.ContentType, context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body, records,
            encoding, wireBytes));
        context.Response.ContentType = "application/json";
        string? rejected = AnswerRejected ?? (RejectingAll ? $"\"{records}\"" : null);
        await AnswerAsync(context, rejected is not null
            ? $"{{\"partialSuccess\":{{\"rejectedLogRecords\":{rejected},\"errorMessage\":\"refused by the test\"}}}}"
            : "{}");
    }

    private async Task AnswerAsync(HttpContext context, string json)
    {
        if (!EndlessBody)
        {
            await context.Response.WriteAsync(json);
            return;
        }

        // The answer's opening, then whitespace (still valid JSON so far) for as long as the client reads.
        await context.Response.WriteAsync(json[..^1], context.RequestAborted);
        byte[] spaces = new byte[64 * 1024];
        Array.Fill(spaces, (byte)' ');
        try
        {
            while (!context.RequestAborted.IsCancellationRequested)
            {
                await context.Response.Body.WriteAsync(spaces, context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away.
        }
    }
}
