using System.Text.Json;
using CasbCore.Activity;

namespace CasbModule.Tests.Activity;

public sealed class OtlpLogsJsonTests
{
    private static readonly ActivityRecord Block = new()
    {
        Time = new DateTimeOffset(2026, 11, 29, 21, 0, 0, 123, TimeSpan.Zero).AddTicks(4567),
        CorrelationId = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        App = "Payroll",
        Host = "payroll.contoso.com",
        Path = "/export",
        Method = "GET",
        User = "vendor@contoso.com",
        DeviceTags = ["Managed", "Finance"],
        ConditionalAccess = [new ActivityConditionalAccessResult { Policy = "Require managed", Outcome = "Block", Reason = "no tag" }],
        Action = "Block",
        HttpStatus = 403,
        DecisionLatencyMs = 0.25,
        CertificateUserMismatch = true,
        Revision = 42,
        Gateway = "gw-1",
    };

    [Fact]
    public void A_request_is_encoded_with_the_OTLP_JSON_field_names_and_protobuf_JSON_value_types()
    {
        using JsonDocument document = JsonDocument.Parse(OtlpLogsJson.Encode([Block], 0, 1, "casb-gateway", "gw-1"));
        JsonElement resourceLogs = document.RootElement.GetProperty("resourceLogs")[0];
        Assert.Equal("service.name", resourceLogs.GetProperty("resource").GetProperty("attributes")[0].GetProperty("key").GetString());
        JsonElement record = resourceLogs.GetProperty("scopeLogs")[0].GetProperty("logRecords")[0];

        // 2026-11-29T21:00:00.1234567Z in nanoseconds since 1970, as a decimal string (int64 in protobuf JSON).
        Assert.Equal("1795986000123456700", record.GetProperty("timeUnixNano").GetString());
        Assert.Equal(13, record.GetProperty("severityNumber").GetInt32());
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", record.GetProperty("traceId").GetString());
        Assert.Equal("Block GET payroll.contoso.com/export user=vendor@contoso.com app=Payroll", record.GetProperty("body").GetProperty("stringValue").GetString());
        var attributes = record.GetProperty("attributes").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("value"));
        Assert.Equal("403", attributes["casb.httpStatus"].GetProperty("intValue").GetString());
        Assert.Equal("42", attributes["casb.revision"].GetProperty("intValue").GetString());
        Assert.Equal(0.25, attributes["casb.decisionLatencyMs"].GetProperty("doubleValue").GetDouble());
        Assert.True(attributes["casb.certificateUserMismatch"].GetProperty("boolValue").GetBoolean());
        Assert.Equal(
            ["Managed", "Finance"],
            attributes["casb.deviceTags"].GetProperty("arrayValue").GetProperty("values").EnumerateArray().Select(v => v.GetProperty("stringValue").GetString()));
        JsonElement conditionalAccess = attributes["casb.conditionalAccess"].GetProperty("arrayValue").GetProperty("values")[0].GetProperty("kvlistValue").GetProperty("values");
        Assert.Equal(
            ["policy=Require managed", "outcome=Block", "reason=no tag"],
            conditionalAccess.EnumerateArray().Select(p => $"{p.GetProperty("key").GetString()}={p.GetProperty("value").GetProperty("stringValue").GetString()}"));

        // Fields the record does not have are left out, not sent empty.
        Assert.False(attributes.ContainsKey("casb.error"));
        Assert.False(attributes.ContainsKey("casb.matchedPolicies"));
    }

    [Fact]
    public void A_failed_sign_in_is_a_warning_and_an_allowed_request_information()
    {
        Assert.Equal(13, OtlpLogsJson.Severity(new ActivityRecord { Kind = "SignIn", Outcome = "Failure" }));
        Assert.Equal(9, OtlpLogsJson.Severity(new ActivityRecord { Kind = "SignIn", Outcome = "Success" }));
        Assert.Equal(9, OtlpLogsJson.Severity(Block with { Action = "Allow" }));
        Assert.Equal(9, OtlpLogsJson.Severity(Block with { Action = "Monitor" }));
        Assert.Equal("SignIn Failure user=vendor@contoso.com app=-", OtlpLogsJson.Body(new ActivityRecord { Kind = "SignIn", Outcome = "Failure", User = "vendor@contoso.com" }));
    }
}
