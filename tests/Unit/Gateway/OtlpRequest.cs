using System.Text.Json;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// One request the receiver accepted: its body decompressed (when it came with Content-Encoding: gzip), the encoding,
/// and the bytes it took on the wire.
/// </summary>
internal sealed record OtlpRequest(
    string Path, string? ContentType, IReadOnlyDictionary<string, string> Headers, JsonDocument Body, int LogRecords, string? ContentEncoding, int WireBytes);
