using CasbCore;
using CasbCore.Gateways;

namespace CasbModule.Types;

/// <summary>A gateway process started by Start-CasbGateway.</summary>
public sealed class CasbGateway
{
    internal CasbGateway(GatewayRecord record, GatewayStatus status)
    {
        Name = DisplayText.Safe(record.Name);
        ProcessId = record.ProcessId;
        Url = DisplayText.Safe(record.Url);
        StorePath = DisplayText.Safe(record.StorePath);
        StartedAt = record.StartedAt;
        Status = status;
        LogFile = DisplayText.Safe(record.LogFile);
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
