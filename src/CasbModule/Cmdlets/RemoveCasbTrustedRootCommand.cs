using System.Management.Automation;
using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes trusted root or intermediate CAs from the store.</para>
/// <para type="description">After removal, client certificates that chain only to the removed CA no longer earn the "Valid client certificate" device tag; a running gateway picks the change up without a restart. The CRLs the removed CA issued are removed with it. Thumbprints are matched in any case; CasbTrustedRoot objects from Get-CasbTrustedRoot can be piped in, and are removed from the store they were read from. Asks for confirmation unless -Confirm:$false is given.</para>
/// </summary>
/// <example>
/// <code>Remove-CasbTrustedRoot -Thumbprint 5A1F0C3E9B7D24A6C8E0F1D2B3A4958677A6B5C4</code>
/// <para>Stops trusting one CA, after confirmation.</para>
/// </example>
/// <example>
/// <code>Get-CasbTrustedRoot -Subject '*Lab*' | Remove-CasbTrustedRoot -Confirm:$false</code>
/// <para>Removes every trusted CA whose subject contains "Lab", without asking.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "CasbTrustedRoot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByObject)]
[OutputType(typeof(CasbTrustedRoot))]
public sealed class RemoveCasbTrustedRootCommand : CasbItemCmdlet
{
    private const string ByThumbprint = "ByThumbprint";
    // The default: a piped object is bound as itself (and goes back to its own store) before its thumbprint or id by property name.
    private const string ByObject = "ByObject";

    /// <summary><para>Thumbprints (SHA-1, hex) of the CAs to remove; case does not matter.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByThumbprint, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TrustedRootThumbprintCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Thumbprint { get; set; } = Array.Empty<string>();

    /// <summary><para>CAs to remove, as returned by Get-CasbTrustedRoot; each is removed from the store it was read from.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    [ValidateNotNull]
    public CasbTrustedRoot[] InputObject { get; set; } = Array.Empty<CasbTrustedRoot>();

    /// <summary><para>Returns the removed entries.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        List<(string Thumbprint, string StorePath)> thumbprints = ParameterSetName == ByObject
            ? InputObject.Select(r => (r.Thumbprint, r.ExactStorePath)).ToList()
            : Thumbprint.Select(t => (t, "")).ToList();
        foreach ((string thumbprint, string storePath) in thumbprints)
        {
            UseStoreOf(storePath);
            TrustedRootEntry? entry = TrustedRootCatalog.Find(LoadConfiguration(), thumbprint);
            if (entry is null)
            {
                WriteCasbError(TrustedRootCatalog.NotFound(thumbprint));
                continue;
            }

            if (!ShouldProcess($"{entry.Subject} ({entry.Thumbprint})", "Remove trusted " + entry.Kind))
            {
                continue;
            }

            TrustedRootEntry? removed = UpdateConfiguration(configuration =>
                TrustedRootCatalog.Find(configuration, thumbprint) is null
                    ? null
                    : TrustedRootCatalog.Remove(configuration, thumbprint));
            if (removed is null)
            {
                // Another writer removed it between the check and the update.
                WriteCasbError(TrustedRootCatalog.NotFound(thumbprint));
                continue;
            }

            if (PassThru)
            {
                WriteObject(new CasbTrustedRoot(removed, Store.Location));
            }
        }
    }
}
