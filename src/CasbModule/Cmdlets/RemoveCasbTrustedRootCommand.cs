using System.Management.Automation;
using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes trusted root or intermediate CAs from the store.</para>
/// <para type="description">After removal, client certificates that chain only to the removed CA no longer earn the "Valid client certificate" device tag; a running gateway picks the change up without a restart. The CRLs the removed CA issued are removed with it. Thumbprints are matched in any case; CasbTrustedRoot objects from Get-CasbTrustedRoot can be piped in. Asks for confirmation unless -Confirm:$false is given.</para>
/// </summary>
/// <example>
/// <code>Remove-CasbTrustedRoot -Thumbprint 5A1F0C3E9B7D24A6C8E0F1D2B3A4958677A6B5C4</code>
/// <para>Stops trusting one CA, after confirmation.</para>
/// </example>
/// <example>
/// <code>Get-CasbTrustedRoot -Subject '*Lab*' | Remove-CasbTrustedRoot -Confirm:$false</code>
/// <para>Removes every trusted CA whose subject contains "Lab", without asking.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "CasbTrustedRoot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CasbTrustedRoot))]
public sealed class RemoveCasbTrustedRootCommand : CasbStoreCmdlet
{
    /// <summary><para>Thumbprints (SHA-1, hex) of the CAs to remove; case does not matter.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TrustedRootThumbprintCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Thumbprint { get; set; } = Array.Empty<string>();

    /// <summary><para>Returns the removed entries.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string thumbprint in Thumbprint)
        {
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
