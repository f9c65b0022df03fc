using System.Management.Automation;
using CasbCore;
using CasbCore.Store;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Copies a whole store to another one: a folder to a PostgreSQL database, or back.</para>
/// <para type="description">Copies the configuration (apps, groups, policies, trusted roots, CRLs, settings, the identity provider) and every blob that the gateways on a store share: the store's secrets, the self-signed server certificate and the sign-in data-protection keys, so that sessions and sign-ins survive the move. Either side is a store folder or a PostgreSQL URI, postgresql://user@host:port/database; the password comes from PGPASSWORD or the passfile (PGPASSFILE, else ~/.pgpass), never from the URI (error StoreUriHasPassword). The target must be empty unless -Force is given (error StoreCopyTargetNotEmpty); with -Force its configuration is replaced as a new revision, so gateways already on the target pick it up. A target whose configuration is corrupt or of an unknown schema version is refused even with -Force and left as it is (StoreCorrupt, StoreSchemaUnsupported). A change made to the target while the copy runs is a StoreConflict, never lost. Activity records and this host's gateway records stay where they are.</para>
/// </summary>
/// <example>
/// <code>$env:PGPASSWORD = Read-Host -MaskInput 'Database password'
/// Copy-CasbStore -From ~/.casb -To postgresql://casb@db.contoso.com:5432/casb</code>
/// <para>Moves the default store into a PostgreSQL database; then point every gateway at it with --store and every admin with $env:CASB_STORE.</para>
/// </example>
/// <example>
/// <code>Copy-CasbStore -From postgresql://casb@db.contoso.com/casb -To ./backup-store -Force -PassThru</code>
/// <para>Takes a copy of the database store into a folder (replacing an earlier copy) and shows the revisions and blobs copied.</para>
/// </example>
[Cmdlet(VerbsCommon.Copy, "CasbStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CasbStoreCopy))]
public sealed class CopyCasbStoreCommand : CasbCmdlet
{
    /// <summary><para>The store to copy: a folder, or postgresql://user@host:port/database.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string From { get; set; } = "";

    /// <summary><para>The store to copy into: a folder, or postgresql://user@host:port/database. Must be empty unless -Force is given.</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string To { get; set; } = "";

    /// <summary><para>Replaces the configuration of a target that is not empty (never one that is corrupt or of an unknown schema version).</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para>Returns what was copied: both locations, the revisions and the blobs.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        try
        {
            IConfigurationStore from = OpenStore(From);
            IConfigurationStore to = OpenStore(To);
            (CasbCore.Model.CasbConfiguration source, long targetRevision) = StoreCopy.Plan(from, to, Force);
            string action = targetRevision == 0
                ? $"Copy configuration revision {source.Revision} of '{from.Location}'"
                : $"Replace revision {targetRevision} with configuration revision {source.Revision} of '{from.Location}'";
            if (!ShouldProcess(to.Location, action))
            {
                return;
            }

            StoreCopyResult result = StoreCopy.Copy(from, to, Force);
            WriteVerbose($"Copied revision {result.SourceRevision} of '{result.From}' and {result.Blobs.Count} blob(s) to '{result.To}' as revision {result.Revision}.");
            if (PassThru)
            {
                WriteObject(new CasbStoreCopy(result));
            }
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }
    }
}
