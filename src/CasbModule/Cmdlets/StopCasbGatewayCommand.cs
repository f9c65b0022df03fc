using System.Management.Automation;
using CasbCore.Gateways;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Stops gateways started with Start-CasbGateway.</para>
/// <para type="description">Asks each gateway to shut down gracefully (SIGTERM on Linux and macOS): it stops accepting connections and lets in-flight requests finish. A gateway still running after -Timeout seconds is killed. The gateway's record is removed from the store. A gateway still starting (Start-CasbGateway waiting for it in another session) is waited for, up to -Timeout seconds, and then stopped; a start that does not finish by then is a GatewayStartInProgress error for that gateway, and the other gateways selected are stopped.</para>
/// </summary>
/// <example>
/// <code>Stop-CasbGateway -Name default</code>
/// <para>Stops the gateway "default" of the default store.</para>
/// </example>
/// <example>
/// <code>Get-CasbGateway -StorePath ./lab-store | Stop-CasbGateway</code>
/// <para>Stops every gateway of the store in ./lab-store.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Stop, "CasbGateway", SupportsShouldProcess = true, DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(CasbGateway))]
public sealed class StopCasbGatewayCommand : CasbStoreCmdlet
{
    private const string ByNameSet = "ByName";
    private const string ByObjectSet = "ByObject";

    private readonly CancellationTokenSource _cancellation = new();

    /// <summary><para>Names of the gateways to stop; wildcards allowed.</para></summary>
    [Parameter(ParameterSetName = ByNameSet, Mandatory = true, Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(GatewayNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary><para>Gateways from Get-CasbGateway or Start-CasbGateway.</para></summary>
    [Parameter(ParameterSetName = ByObjectSet, Mandatory = true, ValueFromPipeline = true)]
    public CasbGateway[] InputObject { get; set; } = Array.Empty<CasbGateway>();

    /// <summary><para>Seconds to wait for a graceful shutdown before the process is killed. Default: 30.</para></summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Timeout { get; set; } = 30;

    /// <summary><para>Returns each stopped gateway.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case ByObjectSet:
                foreach (CasbGateway gateway in InputObject)
                {
                    Stop(gateway.Record);
                }

                break;

            default:
                // A gateway still starting has no record yet: its start is waited for (and no new one begins) before the
                // records are read, so the stop finds it rather than saying nothing runs with the gateway coming up behind.
                // A start that does not finish in time is its name's error only: the other gateways selected are stopped.
                IDisposable starts;
                var stillStarting = new List<CasbCore.CasbException>();
                try
                {
                    IReadOnlyList<string> starting = NameSelection.Select(GatewayProcesses.StartLockNames(Store.Location), n => n, Name, _ => { });
                    starts = GatewayProcesses.HoldStarts(Store.Location, starting, TimeSpan.FromSeconds(Timeout), stillStarting.Add, _cancellation.Token);
                }
                catch (CasbCore.CasbException ex)
                {
                    ThrowCasbError(ex);
                    return;
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                // Lock names are upper-cased, as names compare (OrdinalIgnoreCase).
                var busy = new HashSet<string>(stillStarting.Select(ex => ex.Target?.ToString() ?? ""), StringComparer.OrdinalIgnoreCase);
                stillStarting.ForEach(WriteCasbError);
                using (starts)
                {
                    IReadOnlyList<GatewayRecord> records = GatewayProcesses.ReadRecords(Store.Location).Where(r => !busy.Contains(r.Name)).ToList();
                    foreach (GatewayRecord record in NameSelection.Select(records, r => r.Name, Name, name => { if (!busy.Contains(name)) WriteNotFound(name); }))
                    {
                        Stop(record);
                    }
                }

                break;
        }
    }

    protected override void StopProcessing() => _cancellation.Cancel();

    private void WriteNotFound(string name) => WriteError(GetCasbGatewayCommand.NotFound(name, Store.Location));

    private void Stop(GatewayRecord record)
    {
        if (!ShouldProcess($"{record.Name} (process {record.ProcessId}, {record.Url})", "Stop CASB gateway"))
        {
            return;
        }

        bool wasRunning = GatewayProcesses.Stop(record, TimeSpan.FromSeconds(Timeout));
        WriteVerbose(wasRunning
            ? $"Stopped the gateway '{record.Name}' (process {record.ProcessId})."
            : $"The gateway '{record.Name}' was not running any more; its record was removed.");
        if (PassThru)
        {
            WriteObject(new CasbGateway(record, GatewayStatus.Stopped));
        }
    }
}
