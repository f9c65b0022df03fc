using System.Text.Json.Serialization;

namespace CasbCore.Activity;

/// <summary>
/// Compile-time serializer for the activity record, with the options of <see cref="ActivityLog.SerializerOptions"/>
/// (camelCase, nulls left out): the gateway writes a record per request, and the generated writer needs neither the
/// reflection metadata nor the emitted accessors that the reflection serializer builds and JIT-compiles at start.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ActivityRecord))]
internal sealed partial class ActivityJsonContext : JsonSerializerContext
{
}
