using System.Text.Json;

namespace CasbModule.Tests.Gateway;

/// <summary>One received log record with its resource and scope, and its attributes by key.</summary>
internal sealed record OtlpLogRecord(JsonElement Resource, JsonElement Scope, JsonElement Record)
{
    public JsonElement Attribute(string key) => Find(Record, key);

    public string? String(string key) => Attribute(key) is { ValueKind: JsonValueKind.Object } v ? v.GetProperty("stringValue").GetString() : null;

    public string? ResourceString(string key) => Find(Resource, key) is { ValueKind: JsonValueKind.Object } v ? v.GetProperty("stringValue").GetString() : null;

    private static JsonElement Find(JsonElement holder, string key)
    {
        foreach (JsonElement attribute in holder.GetProperty("attributes").EnumerateArray())
        {
            if (attribute.GetProperty("key").GetString() == key)
            {
                return attribute.GetProperty("value");
            }
        }

        return default;
    }
}
