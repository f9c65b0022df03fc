namespace CasbCore.Gateways;

/// <summary>What Start-CasbGateway asks for.</summary>
public sealed class GatewayStartOptions
{
    public required string StorePath { get; init; }

    /// <summary>The folder holding CasbGateway.dll.</summary>
    public required string GatewayDirectory { get; init; }

    public string Name { get; init; } = "default";

    public string ListenAddress { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 8443;

    public string? CertificatePath { get; init; }

    public string? CertificatePassword { get; init; }

    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an upstream may stay silent before the gateway answers 504; null keeps the gateway's default (100 s).</summary>
    public TimeSpan? UpstreamTimeout { get; init; }

    /// <summary>An OTLP/HTTP endpoint that activity also goes to (see <see cref="Activity.OtlpActivitySink.LogsUri"/>); null for none.</summary>
    public string? ActivityOtlpEndpoint { get; init; }

    /// <summary>Headers for the OTLP requests (an API key), handed to the gateway through its environment, never its command line.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ActivityOtlpHeaders { get; init; } = [];

    /// <summary>How OTLP requests are encoded; null keeps the gateway's default (gzip).</summary>
    public Activity.OtlpCompression? ActivityOtlpCompression { get; init; }

    /// <summary>Records each activity sink's queue holds before it drops them (1 to <see cref="Activity.ActivityPump.MaxCapacity"/>); null keeps the gateway's default.</summary>
    public int? ActivityQueueCapacity { get; init; }
}
