using System.Text.Json;

namespace CasbModule.Tests.Gateway;

/// <summary>One request the receiver accepted.</summary>
internal sealed record OtlpRequest(string Path, string? ContentType, IReadOnlyDictionary<string, string> Headers, JsonDocument Body, int LogRecords);
