using CasbCore.Gateways;

namespace CasbModule.Types;

/// <summary>A gateway process started by Start-CasbGateway.</summary>
public sealed class CasbGateway
{
    internal CasbGateway(GatewayRecord record, GatewayStatus status)
    {
        Name = record.Name;
        ProcessId = record.ProcessId;
        Url = record.Url;
        StorePath = record.StorePath;
        StartedAt = record.StartedAt;
        Status = status;
        LogFile = record.LogFile;
        Record = record;
    }

    public string Name { get; }

    public int ProcessId { get; }

    public string Url { get; }

    public string StorePath { get; }

    public DateTimeOffset StartedAt { get; }

    public GatewayStatus Status { get; }

    /// <summary>The gateway's JSON log (stdout and stderr).</summary>
    public string? LogFile { get; }

    internal GatewayRecord Record { get; }
}
