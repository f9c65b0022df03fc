using System.Globalization;
using System.Text.Json;

namespace CasbCore.Activity;

/// <summary>
/// Activity records as an OTLP logs export request in the JSON encoding of OTLP/HTTP (ExportLogsServiceRequest:
/// resourceLogs / scopeLogs / logRecords), one log record per activity record. Field names are the protobuf JSON names
/// (lowerCamelCase); 64-bit integers are decimal strings and enums integers, as the protobuf JSON mapping writes them;
/// the trace id is hex, as OTLP/JSON requires.
/// </summary>
public static class OtlpLogsJson
{
    /// <summary>The instrumentation scope of every record.</summary>
    public const string ScopeName = "casb.activity";

    /// <summary>The attribute keys: "casb." and the activity log's own field name, so a SIEM can map both the same way.</summary>
    public const string AttributePrefix = "casb.";

    private const int SeverityInfo = 9;
    private const int SeverityWarn = 13;
    private const long UnixEpochTicks = 621_355_968_000_000_000;

    /// <summary>Writes the records <paramref name="start"/> .. start+count-1 of <paramref name="records"/> as one request.</summary>
    public static byte[] Encode(IReadOnlyList<ActivityRecord> records, int start, int count, string serviceName, string serviceInstanceId)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024 + (count * 2048));
        Encode(records, start, count, serviceName, serviceInstanceId, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The same, into <paramref name="output"/>: the sink reuses one buffer rather than a large new array per request.</summary>
    public static void Encode(
        IReadOnlyList<ActivityRecord> records, int start, int count, string serviceName, string serviceInstanceId, System.Buffers.IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(output);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteStartArray("resourceLogs");
            json.WriteStartObject();
            json.WriteStartObject("resource");
            json.WriteStartArray("attributes");
            String(json, "service.name", serviceName);
            String(json, "service.instance.id", serviceInstanceId);
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartArray("scopeLogs");
            json.WriteStartObject();
            json.WriteStartObject("scope");
            json.WriteString("name", ScopeName);
            json.WriteEndObject();
            json.WriteStartArray("logRecords");
            for (int i = start; i < start + count; i++)
            {
                LogRecord(json, records[i]);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
    }

    /// <summary>WARN for what an admin should look at (a block, a failed sign-in), INFO for everything else.</summary>
    public static int Severity(ActivityRecord record) =>
        record.Action == "Block" || record.Outcome == "Failure" ? SeverityWarn : SeverityInfo;

    /// <summary>A one-line summary; the attributes carry the fields.</summary>
    public static string Body(ActivityRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        string target = $"{record.Host}{record.Path}";
        string?[] parts =
        [
            record.Kind, record.Kind is null ? record.Action : record.Outcome, record.Method, target.Length == 0 ? null : target,
            $"user={record.User ?? "-"}", $"app={record.App ?? "-"}",
        ];
        return string.Join(' ', parts.Where(p => !string.IsNullOrEmpty(p)));
    }

    public static string UnixNanos(DateTimeOffset time) =>
        ((time.UtcTicks - UnixEpochTicks) * 100).ToString(CultureInfo.InvariantCulture);

    private static void LogRecord(Utf8JsonWriter json, ActivityRecord r)
    {
        json.WriteStartObject();
        json.WriteString("timeUnixNano", UnixNanos(r.Time));
        int severity = Severity(r);
        json.WriteNumber("severityNumber", severity);
        json.WriteString("severityText", severity == SeverityWarn ? "WARN" : "INFO");
        if (r.TraceId is { Length: 32 } traceId && IsHex(traceId))
        {
            json.WriteString("traceId", traceId);
        }

        json.WriteStartObject("body");
        json.WriteString("stringValue", Body(r));
        json.WriteEndObject();
        json.WriteStartArray("attributes");
        String(json, "time", r.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        String(json, "kind", r.Kind);
        String(json, "outcome", r.Outcome);
        String(json, "failureReason", r.FailureReason);
        Int(json, "groupCount", r.GroupCount);
        String(json, "correlationId", r.CorrelationId);
        String(json, "traceId", r.TraceId);
        String(json, "app", r.App);
        String(json, "host", r.Host);
        String(json, "path", r.Path);
        String(json, "method", r.Method);
        String(json, "user", r.User);
        String(json, "userSource", r.UserSource);
        String(json, "identityProvider", r.IdentityProvider);
        Bool(json, "certificateUserMismatch", r.CertificateUserMismatch);
        String(json, "sourceIp", r.SourceIp);
        String(json, "userAgent", r.UserAgent);
        String(json, "clientAppType", r.ClientAppType);
        Strings(json, "deviceTags", r.DeviceTags);
        String(json, "certificateSubject", r.CertificateSubject);
        String(json, "certificateIssuer", r.CertificateIssuer);
        String(json, "certificateThumbprint", r.CertificateThumbprint);
        String(json, "certificateStatus", r.CertificateStatus);
        ConditionalAccess(json, r.ConditionalAccess);
        Strings(json, "matchedPolicies", r.MatchedPolicies);
        String(json, "action", r.Action);
        String(json, "blockingPolicy", r.BlockingPolicy);
        String(json, "blockMessage", r.BlockMessage);
        Int(json, "httpStatus", r.HttpStatus == 0 ? null : r.HttpStatus);
        Double(json, "upstreamLatencyMs", r.UpstreamLatencyMs);
        Double(json, "decisionLatencyMs", r.DecisionLatencyMs);
        Int(json, "revision", r.Revision);
        String(json, "gateway", r.Gateway);
        String(json, "error", r.Error);
        String(json, "errorSource", r.ErrorSource);
        String(json, "fileDirection", r.FileDirection);
        String(json, "fileName", r.FileName);
        Int(json, "fileSizeBytes", r.FileSizeBytes);
        String(json, "fileAction", r.FileAction);
        String(json, "sessionPolicy", r.SessionPolicy);
        Int(json, "count", r.Count);
        String(json, "lastTime", r.LastTime?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        Int(json, "bytes", r.Bytes);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Key(Utf8JsonWriter json, string name)
    {
        json.WriteStartObject();
        json.WriteString("key", name.Contains('.', StringComparison.Ordinal) ? name : AttributePrefix + name);
        json.WritePropertyName("value");
    }

    private static void String(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        Key(json, name);
        StringValue(json, value);
        json.WriteEndObject();
    }

    private static void StringValue(Utf8JsonWriter json, string value)
    {
        json.WriteStartObject();
        json.WriteString("stringValue", value);
        json.WriteEndObject();
    }

    private static void Int(Utf8JsonWriter json, string name, long? value)
    {
        if (value is not { } v)
        {
            return;
        }

        Key(json, name);
        json.WriteStartObject();
        json.WriteString("intValue", v.ToString(CultureInfo.InvariantCulture));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Double(Utf8JsonWriter json, string name, double? value)
    {
        // NaN and infinities have no JSON number; a latency never is one.
        if (value is not { } v || !double.IsFinite(v))
        {
            return;
        }

        Key(json, name);
        json.WriteStartObject();
        json.WriteNumber("doubleValue", v);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Bool(Utf8JsonWriter json, string name, bool? value)
    {
        if (value is not { } v)
        {
            return;
        }

        Key(json, name);
        json.WriteStartObject();
        json.WriteBoolean("boolValue", v);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        Key(json, name);
        json.WriteStartObject();
        json.WriteStartObject("arrayValue");
        json.WriteStartArray("values");
        foreach (string value in values)
        {
            StringValue(json, value);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void ConditionalAccess(Utf8JsonWriter json, IReadOnlyList<ActivityConditionalAccessResult> results)
    {
        if (results.Count == 0)
        {
            return;
        }

        Key(json, "conditionalAccess");
        json.WriteStartObject();
        json.WriteStartObject("arrayValue");
        json.WriteStartArray("values");
        foreach (ActivityConditionalAccessResult result in results)
        {
            json.WriteStartObject();
            json.WriteStartObject("kvlistValue");
            json.WriteStartArray("values");
            Pair(json, "policy", result.Policy);
            Pair(json, "outcome", result.Outcome);
            if (result.Reason is not null)
            {
                Pair(json, "reason", result.Reason);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();

        static void Pair(Utf8JsonWriter json, string key, string value)
        {
            json.WriteStartObject();
            json.WriteString("key", key);
            json.WritePropertyName("value");
            StringValue(json, value);
            json.WriteEndObject();
        }
    }

    private static bool IsHex(string text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
