using System.Net;
using System.Net.Http.Headers;

namespace CasbCore.Activity;

/// <summary>
/// Sends activity to an OpenTelemetry collector (or any OTLP/HTTP logs receiver: a SIEM's intake) as OTLP/HTTP JSON,
/// <c>POST &lt;endpoint&gt;/v1/logs</c>. Not the OpenTelemetry SDK's log exporter: that one drops records silently when its
/// queue overflows or an export fails, while here a record counts as kept only when the receiver answered 2xx, and
/// anything else (another status, a network error, a timeout) fails the batch so that the pump retries it and counts
/// what its queue cannot hold. Delivery is at least once: a request whose answer was lost is sent again.
/// </summary>
public sealed class OtlpActivitySink : IActivitySink
{
    public const string ServiceName = "casb-gateway";

    /// <summary>Records per request: a 4096-record batch stays a few MB, under the 20 MiB receivers are told to accept.</summary>
    public const int MaxRecordsPerRequest = 512;

    private const string LogsPath = "/v1/logs";

    private readonly HttpClient _client;
    private readonly Uri _logsUri;
    private readonly string _gatewayName;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly TimeProvider _time;
    private int _recordsPerRequest = MaxRecordsPerRequest;
    private DateTimeOffset _notBefore;
    private long _rejected;

    /// <param name="logsUri">The full logs URL (see <see cref="LogsUri"/>).</param>
    /// <param name="gatewayName">The gateway's --name: the resource's service.instance.id.</param>
    /// <param name="headers">Sent with every request (an API key); never written to a log or a message.</param>
    /// <param name="timeout">How long one request may take before the batch fails (10 s by default).</param>
    public OtlpActivitySink(
        Uri logsUri, string gatewayName, IReadOnlyList<KeyValuePair<string, string>>? headers = null, TimeSpan? timeout = null,
        TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(logsUri);
        ArgumentException.ThrowIfNullOrEmpty(gatewayName);
        _logsUri = logsUri;
        _gatewayName = gatewayName;
        _headers = headers?.ToArray() ?? [];
        _time = time ?? TimeProvider.System;
        _client = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
        };
    }

    public string Name => "otlp";

    /// <summary>Log records receivers answered 200 to but refused (partial success): not sent again, as OTLP says, but counted.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Where the records go (no credentials: those are in headers).</summary>
    public Uri Endpoint => _logsUri;

    /// <summary>
    /// The logs URL of an OTLP/HTTP endpoint: <paramref name="endpoint"/> plus <c>/v1/logs</c> (the collector's base URL,
    /// as OTEL_EXPORTER_OTLP_ENDPOINT takes it), or as it is when it already ends in /v1/logs. Only absolute http and
    /// https URLs without user information (a password in a URL ends up in logs; use a header) are taken.
    /// </summary>
    /// <exception cref="CasbException">InvalidOtlpEndpoint.</exception>
    public static Uri LogsUri(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CasbException(
                "InvalidOtlpEndpoint", CasbErrorKind.InvalidArgument,
                $"'{endpoint}' is not an OTLP/HTTP endpoint: give the collector's http:// or https:// URL, for example http://collector:4318.", endpoint);
        }

        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new CasbException(
                "InvalidOtlpEndpoint", CasbErrorKind.InvalidArgument,
                $"The OTLP endpoint '{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}' must not carry user information, a query or a fragment: pass credentials as a header (--activity-otlp-header).",
                uri.GetLeftPart(UriPartial.Path));
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
            string shown = name.Length == 0 ? "(no name)" : $"'{DisplayText.Safe(name)}'";
            throw new CasbException(
                "InvalidOtlpHeader", CasbErrorKind.InvalidArgument,
                $"The OTLP header {shown} is not 'name=value' with a request header name and a non-empty value on one line.", name.Length == 0 ? null : name);
        }

        return new KeyValuePair<string, string>(name, value);
    }

    public void WriteBatch(List<ActivityRecord> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_time.GetUtcNow() < _notBefore)
        {
            // The collector asked for a pause (Retry-After): the pump's next try comes after it.
            throw new IOException($"the collector asked to wait until {_notBefore:HH:mm:ss}Z (Retry-After)");
        }

        while (batch.Count > 0)
        {
            int count = Math.Min(batch.Count, _recordsPerRequest);
            using var request = new HttpRequestMessage(HttpMethod.Post, _logsUri)
            {
                Content = new ByteArrayContent(OtlpLogsJson.Encode(batch, 0, count, ServiceName, _gatewayName)),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            foreach (KeyValuePair<string, string> header in _headers)
            {
                request.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            using HttpResponseMessage response = _client.Send(request);
            if (response.IsSuccessStatusCode)
            {
                // Kept: the pump must not send these again.
                batch.RemoveRange(0, count);
                Interlocked.Add(ref _rejected, RejectedIn(response));
                continue;
            }

            if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge && count > 1)
            {
                // Too large for this receiver: smaller requests from now on (the records themselves are fine).
                _recordsPerRequest = Math.Max(1, count / 2);
                continue;
            }

            if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && RetryAfter(response) is { } wait)
            {
                _notBefore = _time.GetUtcNow() + wait;
            }

            throw new HttpRequestException(
                $"the collector at {_logsUri.GetLeftPart(UriPartial.Authority)} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>partialSuccess.rejectedLogRecords of a JSON answer (an int64: a string or a number); 0 when absent or unreadable.</summary>
    private static long RejectedIn(HttpResponseMessage response)
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
                return Math.Max(0, count);
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or OverflowException or InvalidOperationException or IOException)
        {
            // The records were accepted (2xx); an answer we cannot read names no rejections.
        }

        return 0;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? retryAfter = response.Headers.RetryAfter;
        TimeSpan? wait = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - _time.GetUtcNow() : null);

        // A receiver asking for an hour would stall activity that long with no one noticing beyond /readyz: cap it.
        return wait is { } w && w > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(w.Ticks, TimeSpan.FromMinutes(5).Ticks)) : null;
    }
}
