using System.Management.Automation;
using CasbCore.Gateways;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the gateways started for a CASB store and whether they are running.</para>
/// <para type="description">Lists the gateways Start-CasbGateway recorded for the store, with their process id, URL and status: Running (the process is alive and answers /healthz), NotResponding (alive but not answering) or Stopped (the process is gone).</para>
/// </summary>
/// <example>
/// <code>Get-CasbGateway</code>
/// <para>Lists every gateway of the default store.</para>
/// </example>
/// <example>
/// <code>Get-CasbGateway -Name lab* -StorePath ./lab-store | Where-Object Status -eq Running</code>
/// <para>Shows the running gateways whose names start with "lab".</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CasbGateway")]
[OutputType(typeof(CasbGateway))]
public sealed class GetCasbGatewayCommand : CasbStoreCmdlet
{
    /// <summary><para>Gateway names; wildcards allowed. Default: all.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(GatewayNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        IReadOnlyList<GatewayRecord> records = GatewayProcesses.ReadRecords(Store.Location);
        if (Name is null || Name.Length == 0)
        {
            foreach (GatewayRecord record in records)
            {
                WriteObject(ToObject(record));
            }

            return;
        }

        foreach (GatewayRecord record in NameSelection.Select(records, r => r.Name, Name, WriteNotFound))
        {
            WriteObject(ToObject(record));
        }
    }

    private void WriteNotFound(string name) => WriteError(NotFound(name, Store.Location));

    /// <summary>GatewayNotFound: no gateway of this name is recorded for the store (Get- and Stop-CasbGateway).</summary>
    internal static ErrorRecord NotFound(string name, string store) => new(
        new ItemNotFoundException($"No gateway named '{name}' is recorded for the store '{store}'."),
        "GatewayNotFound", ErrorCategory.ObjectNotFound, name);

    private static CasbGateway ToObject(GatewayRecord record) =>
        new(record, GatewayProcesses.GetStatus(record, TimeSpan.FromSeconds(3)));
}
