namespace CasbCore.Activity;

/// <summary>How OTLP requests are encoded on the wire (OTEL_EXPORTER_OTLP_COMPRESSION's values).</summary>
public enum OtlpCompression
{
    /// <summary>Content-Encoding: gzip. Every OTLP receiver must accept it.</summary>
    Gzip,

    /// <summary>The JSON as it is, for an intake that does not decompress.</summary>
    None,
}
