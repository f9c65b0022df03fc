using System.Buffers;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;

namespace CasbCore.Activity;

/// <summary>
/// Sends activity to an OpenTelemetry collector (or any OTLP/HTTP logs receiver: a SIEM's intake) as OTLP/HTTP JSON,
/// <c>POST &lt;endpoint&gt;/v1/logs</c>, gzip-compressed unless told otherwise. Not the OpenTelemetry SDK's log exporter: that
/// one drops records silently when its queue overflows or an export fails. Here the OTLP/HTTP failure rules decide:
/// a record counts as kept when the receiver answered 2xx; 429, 502, 503 and 504, a network error or a timeout fail the
/// batch so that the pump retries it (after Retry-After when the receiver sent one, else after an exponential backoff)
/// and counts what its queue cannot hold; any other 4xx or 5xx is not sent again, as OTLP requires, and its records are
/// counted in <see cref="Refused"/>. Delivery is at least once: a request whose answer was lost is sent again.
/// </summary>
public sealed class OtlpActivitySink : IActivitySink
{
    public const string ServiceName = "casb-gateway";

    /// <summary>Records per request: a 4096-record batch stays a few MB, under the 20 MiB receivers are told to accept.</summary>
    public const int MaxRecordsPerRequest = 512;

    private const string LogsPath = "/v1/logs";

    /// <summary>The most of an answer's body read: a partial success or a Status is a few hundred bytes.</summary>
    private const int MaxAnswerBytes = 64 * 1024;

    /// <summary>The backoff between retries without Retry-After: from 1 s, times 1.5 per failure, at most 5 s (the SDKs' defaults).</summary>
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly HttpClient _client;
    private readonly Uri _logsUri;
    private readonly string _gatewayName;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly TimeProvider _time;
    private readonly OtlpCompression _compression;

    // Cancelled by Abandon (the gateway stopping): a slow receiver's request in flight ends, and no other is sent. Never
    // disposed: Abandon may come after Dispose, and a source without a timer holds nothing to free.
    private readonly CancellationTokenSource _abandoned = new();

    // Reused for every request (one pump thread calls WriteBatch): a 512-record request is about 1 MB of JSON, which as a
    // new array per request would land on the large object heap each time. They keep the largest request's size.
    private readonly ArrayBufferWriter<byte> _json = new();
    private readonly MemoryStream _gzip = new();
    private int _recordsPerRequest = MaxRecordsPerRequest;
    private DateTimeOffset _notBefore;
    private string? _waitReason;
    private int _failures;
    private long _rejected;
    private long _refused;
    private string? _lastRefusal;

    /// <param name="logsUri">The full logs URL (see <see cref="LogsUri"/>).</param>
    /// <param name="gatewayName">The gateway's --name: the resource's service.instance.id.</param>
    /// <param name="headers">Sent with every request (an API key); never written to a log or a message.</param>
    /// <param name="timeout">How long one request may take before the batch fails (10 s by default).</param>
    /// <param name="time">The clock that times a receiver's Retry-After back-off (the system's by default; tests pass a fake one).</param>
    /// <param name="handler">The HTTP handler requests go through (by default a SocketsHttpHandler that follows no redirect; tests pass their own).</param>
    /// <param name="compression">gzip (the default: every OTLP receiver must accept it) or none.</param>
    public OtlpActivitySink(
        Uri logsUri, string gatewayName, IReadOnlyList<KeyValuePair<string, string>>? headers = null, TimeSpan? timeout = null,
        TimeProvider? time = null, HttpMessageHandler? handler = null, OtlpCompression compression = OtlpCompression.Gzip)
    {
        ArgumentNullException.ThrowIfNull(logsUri);
        ArgumentException.ThrowIfNullOrEmpty(gatewayName);
        _logsUri = logsUri;
        _gatewayName = gatewayName;
        _headers = headers?.ToArray() ?? [];
        _time = time ?? TimeProvider.System;
        _compression = compression;

        // No redirects: HttpClient would carry the API key headers to wherever a redirect points.
        _client = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
        };
    }

    public string Name => "otlp";

    /// <summary>Log records receivers answered 200 to but refused (partial success): not sent again, as OTLP says, but counted.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Log records a receiver refused with a status OTLP says not to retry (a 4xx or 5xx other than 429, 502, 503, 504): dropped, counted.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>What the receiver answered the last time it refused records (status, its message), or null.</summary>
    public string? LastRefusal => Volatile.Read(ref _lastRefusal);

    /// <summary>Where the records go (no credentials: those are in headers).</summary>
    public Uri Endpoint => _logsUri;

    public OtlpCompression Compression => _compression;

    /// <summary>
    /// Whether OTLP/HTTP says to send a request again after this answer: 429 Too Many Requests, 502 Bad Gateway, 503
    /// Service Unavailable and 504 Gateway Timeout; every other 4xx and 5xx must not be retried.
    /// </summary>
    public static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>"gzip" or "none" (as OTEL_EXPORTER_OTLP_COMPRESSION takes them), any case.</summary>
    /// <exception cref="CasbException">InvalidOtlpCompression.</exception>
    public static OtlpCompression ParseCompression(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "gzip" => OtlpCompression.Gzip,
            "none" => OtlpCompression.None,
            _ => throw new CasbException(
                "InvalidOtlpCompression", CasbErrorKind.InvalidArgument,
                $"'{DisplayText.Safe(text)}' is not an OTLP compression: give gzip or none.", text),
        };
    }

    /// <summary>
    /// The logs URL of an OTLP/HTTP endpoint: <paramref name="endpoint"/> plus <c>/v1/logs</c> (the collector's base URL,
    /// as OTEL_EXPORTER_OTLP_ENDPOINT takes it), or as it is when it already ends in /v1/logs. Only absolute http and
    /// https URLs without user information (a password in a URL ends up in logs; use a header) are taken.
    /// </summary>
    /// <exception cref="CasbException">InvalidOtlpEndpoint.</exception>
    public static Uri LogsUri(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        bool parsed = Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out Uri? uri);
        bool http = parsed && (uri!.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
        bool credentials = http && (uri!.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0);

        // Messages and the error's target (which $Error and Get-Error show) name it without what may be a credential:
        // user information, a query or a fragment (other schemes keep a query in the path).
        string shown = (parsed && uri!.Authority.Length > 0) switch
        {
            true => $"{uri!.Scheme}://{uri.Authority}{(http ? uri.AbsolutePath : "")}",
            false when endpoint.IndexOfAny(['@', '?', '#']) >= 0 => "(not shown: it may carry a credential)",
            false => endpoint,
        };
        if (!http || uri is null)
        {
            throw new CasbException(
                "InvalidOtlpEndpoint", CasbErrorKind.InvalidArgument,
                $"'{shown}' is not an OTLP/HTTP endpoint: give the collector's http:// or https:// URL, for example http://collector:4318.", shown);
        }

        if (credentials)
        {
            throw new CasbException(
                "InvalidOtlpEndpoint", CasbErrorKind.InvalidArgument,
                $"The OTLP endpoint '{shown}' must not carry user information, a query or a fragment: pass credentials as a header (--activity-otlp-header).",
                shown);
        }

        string path = uri.AbsolutePath.TrimEnd('/');
        return path.EndsWith(LogsPath, StringComparison.Ordinal) ? uri : new UriBuilder(uri) { Path = path + LogsPath }.Uri;
    }

    /// <summary>A header given as <c>name=value</c>. The message of a bad one names the header, never its value.</summary>
    /// <exception cref="CasbException">InvalidOtlpHeader.</exception>
    public static KeyValuePair<string, string> ParseHeader(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int equals = text.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? Header("", text) : Header(text[..equals], text[(equals + 1)..]);
    }

    /// <summary>A header checked: a request header name, a non-empty value on one line. The message never shows the value.</summary>
    /// <exception cref="CasbException">InvalidOtlpHeader.</exception>
    public static KeyValuePair<string, string> Header(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        name = name.Trim();
        value = value.Trim();
        using var probe = new HttpRequestMessage();
        if (name.Length == 0 || value.Length == 0 || value.Any(char.IsControl) || !probe.Headers.TryAddWithoutValidation(name, value))
        {
            // "Authorization: Basic dXNlcjpwYXNz=" splits at the credential's own '=': a name that is no header token is not shown.
            // "dXNlcjpwYXNz=" (a credential without its name) splits at its base64 padding: a name without a value is not shown either.
            bool token = name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)) && value.Length > 0;
            string shown = name.Length == 0 ? "(no name)" : token ? $"'{DisplayText.Safe(name)}'" : "(a name that is no header name or has no value, not shown: it may hold the credential)";
            throw new CasbException(
                "InvalidOtlpHeader", CasbErrorKind.InvalidArgument,
                $"The OTLP header {shown} is not 'name=value' with a request header name and a non-empty value on one line.", token ? name : null);
        }

        return new KeyValuePair<string, string>(name, value);
    }

    public void WriteBatch(List<ActivityRecord> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_abandoned.IsCancellationRequested)
        {
            throw new OperationCanceledException("The gateway is stopping: no more requests to the collector.");
        }

        if (_time.GetUtcNow() < _notBefore)
        {
            // Retry-After or the backoff: the pump's next tries come back here until the time is up.
            throw new IOException(_waitReason);
        }

        while (batch.Count > 0)
        {
            _abandoned.Token.ThrowIfCancellationRequested(); // the records left stay in the batch, counted by the pump
            int count = Math.Min(batch.Count, _recordsPerRequest);
            HttpResponseMessage response;
            try
            {
                response = Send(batch, count);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                // No answer (refused, reset, timed out): the request may be sent again, after a backoff.
                Wait(null, $"cannot reach the collector at {Authority}: {ex.Message}");
                throw;
            }

            using (response)
            {
                HttpStatusCode status = response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    // Kept: the pump must not send these again.
                    batch.RemoveRange(0, count);
                    Interlocked.Add(ref _rejected, TryReadAnswer(response) ? RejectedIn(response, count) : 0);
                    _failures = 0;
                    continue;
                }

                if (status == HttpStatusCode.RequestEntityTooLarge && count > 1)
                {
                    // Too large for this receiver: smaller requests from now on. Not a retry of the request OTLP forbids:
                    // the next ones carry other, smaller contents, and a record refused alone is dropped below.
                    _recordsPerRequest = Math.Max(1, count / 2);
                    continue;
                }

                // The reason phrase is the receiver's own text, shown in /readyz and the log: escaped as its Status message is.
                string answered = $"the collector at {Authority} answered {(int)status} {DisplayText.Safe(response.ReasonPhrase)}";
                if ((int)status is >= 400 and <= 599 && !IsRetryable(status))
                {
                    // OTLP: must not be retried. The records are dropped, counted, and the rest of the batch goes on.
                    batch.RemoveRange(0, count);
                    Interlocked.Add(ref _refused, count);
                    string? message = TryReadAnswer(response) ? StatusMessage(response) : null;
                    Volatile.Write(ref _lastRefusal, $"{answered}, which OTLP says not to retry: {count} {(count == 1 ? "record" : "records")} dropped{(message is null ? "" : $" ({message})")}");
                    continue;
                }

                // 429, 502, 503, 504; or a redirect (not followed) or another answer that is no failure OTLP names: kept for later.
                string failed = answered + ((int)status is >= 300 and <= 399 ? " (redirects are not followed: give the collector's final URL)" : "");
                Wait(RetryAfter(response), failed);
                throw new HttpRequestException(failed, null, status);
            }
        }
    }

    public void Abandon() => _abandoned.Cancel();

    public void Dispose()
    {
        _client.Dispose();
        _gzip.Dispose();
    }

    /// <summary>
    /// partialSuccess.rejectedLogRecords of a JSON answer (an int64: a string or a number), at most the <paramref name="sent"/>
    /// records of the request; 0 when absent or unreadable.
    /// </summary>
    private static long RejectedIn(HttpResponseMessage response, int sent)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/json" || response.Content.Headers.ContentLength is 0)
        {
            return 0;
        }

        try
        {
            using Stream body = response.Content.ReadAsStream();
            using var document = System.Text.Json.JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("partialSuccess", out System.Text.Json.JsonElement partial)
                && partial.ValueKind == System.Text.Json.JsonValueKind.Object
                && partial.TryGetProperty("rejectedLogRecords", out System.Text.Json.JsonElement rejected))
            {
                long count = rejected.ValueKind == System.Text.Json.JsonValueKind.String
                    ? long.Parse(rejected.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
                    : rejected.GetInt64();
                return Math.Clamp(count, 0, sent);
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or OverflowException or InvalidOperationException or IOException)
        {
            // The records were accepted (2xx); an answer we cannot read names no rejections.
        }

        return 0;
    }

    private string Authority => _logsUri.GetLeftPart(UriPartial.Authority);

    private HttpResponseMessage Send(List<ActivityRecord> batch, int count)
    {
        _json.ResetWrittenCount();
        OtlpLogsJson.Encode(batch, 0, count, ServiceName, _gatewayName, _json);
        using var request = new HttpRequestMessage(HttpMethod.Post, _logsUri)
        {
            Content = new ReadOnlyMemoryContent(_compression == OtlpCompression.Gzip ? Gzip(_json.WrittenMemory) : _json.WrittenMemory),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (_compression == OtlpCompression.Gzip)
        {
            request.Content.Headers.ContentEncoding.Add("gzip");
        }

        foreach (KeyValuePair<string, string> header in _headers)
        {
            request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        // Headers only: the status decides what becomes of the records, and the body is read (bounded) only where it adds to that.
        return _client.Send(request, HttpCompletionOption.ResponseHeadersRead, _abandoned.Token);
    }

    /// <summary>
    /// Reads the answer's body into memory, at most <see cref="MaxAnswerBytes"/> within the request timeout; false when it
    /// is larger, never ends or breaks off. Such a body is no reason to keep, and send again, records the status settled.
    /// </summary>
    private bool TryReadAnswer(HttpResponseMessage response)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_abandoned.Token);
        deadline.CancelAfter(_client.Timeout);
        try
        {
            response.Content.LoadIntoBufferAsync(MaxAnswerBytes, deadline.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    // Fastest: activity JSON repeats its keys and values, so even the fastest level takes most of the bytes away.
    private ReadOnlyMemory<byte> Gzip(ReadOnlyMemory<byte> json)
    {
        _gzip.SetLength(0);
        using (var gzip = new GZipStream(_gzip, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(json.Span);
        }

        return _gzip.GetBuffer().AsMemory(0, (int)_gzip.Length);
    }

    /// <summary>No request before Retry-After, or else before the next step of the backoff (with jitter, so that replicas spread out).</summary>
    private void Wait(TimeSpan? retryAfter, string reason)
    {
        _failures++;
        TimeSpan wait = retryAfter ?? Backoff(_failures);
        _notBefore = _time.GetUtcNow() + wait;
        _waitReason = $"{reason}; next try after {_notBefore:HH:mm:ss}Z ({(retryAfter is null ? "backoff" : "Retry-After")})";
    }

    private static TimeSpan Backoff(int failures)
    {
        double seconds = Math.Min(FirstBackoff.TotalSeconds * Math.Pow(1.5, Math.Min(failures - 1, 20)), MaxBackoff.TotalSeconds);
        return TimeSpan.FromSeconds(seconds * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    /// <summary>The message of a failure's Status (OTLP/JSON: {"message": ...}), on one line, shortened; null when there is none.</summary>
    private static string? StatusMessage(HttpResponseMessage response)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            return null;
        }

        try
        {
            using Stream body = response.Content.ReadAsStream();
            using var document = System.Text.Json.JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out System.Text.Json.JsonElement message)
                && message.ValueKind == System.Text.Json.JsonValueKind.String
                && message.GetString() is { Length: > 0 } text)
            {
                text = DisplayText.Safe(text.ReplaceLineEndings(" ").Trim())!;
                return text.Length > 200 ? text[..200] + "..." : text;
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or IOException)
        {
            // The status alone says enough.
        }

        return null;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? retryAfter = response.Headers.RetryAfter;
        TimeSpan? wait = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - _time.GetUtcNow() : null);

        // A receiver asking for an hour would stall activity that long with no one noticing beyond /readyz: cap it.
        return wait is { } w && w > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(w.Ticks, TimeSpan.FromMinutes(5).Ticks)) : null;
    }
}
