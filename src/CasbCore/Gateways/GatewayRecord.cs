namespace CasbCore.Gateways;

public enum GatewayStatus
{
    /// <summary>The process is alive and answers /healthz.</summary>
    Running,

    /// <summary>The process is alive but does not answer /healthz.</summary>
    NotResponding,

    /// <summary>The recorded process is gone (or its id now belongs to another process).</summary>
    Stopped,
}

/// <summary>A gateway started by Start-CasbGateway, as recorded in &lt;store&gt;/gateways/&lt;name&gt;.json.</summary>
public sealed class GatewayRecord
{
    public string Name { get; set; } = "";

    public int ProcessId { get; set; }

    /// <summary>When the operating system started the process; tells a reused process id apart.</summary>
    public DateTimeOffset ProcessStartTime { get; set; }

    public string Url { get; set; } = "";

    /// <summary>The loopback URL of /healthz used to probe this gateway.</summary>
    public string HealthUrl { get; set; } = "";

    public string StorePath { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }

    public string? LogFile { get; set; }
}
