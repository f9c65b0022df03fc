using System.Management.Automation;
using CasbCore;
using CasbCore.Store;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Copies a whole store to another one: a folder to a PostgreSQL database, or back.</para>
/// <para type="description">Copies the configuration (apps, groups, policies, trusted roots, CRLs, settings, the identity provider) and every blob that the gateways on a store share: the store's secrets, the server certificate kept in the store, the sign-in data-protection keys and their claims, so that sessions and sign-ins survive the move. Either side is a store folder or a PostgreSQL URI, postgresql://user@host:port/database; the password comes from PGPASSWORD or the passfile (PGPASSFILE, else ~/.pgpass), never from the URI (error StoreUriHasPassword). The target ends as exactly the source: its configuration and blobs, nothing else. It must be empty unless -Force is given (error StoreCopyTargetNotEmpty, whose message lists what -Force would replace and remove). With -Force the target's configuration is replaced as its next revision (so gateways already on the target pick it up), its blobs are overwritten with the source's, and the blobs only the target has are deleted: its server certificate, sign-in keys (sessions signed in through the target's gateways end) and secrets. -WhatIf lists each of these changes by name. A target whose configuration is corrupt or of an unknown schema version is refused even with -Force and left as it is (StoreCorrupt, StoreSchemaUnsupported). A change made to the target while the copy runs is a StoreConflict, never lost. The target is written in one step: one transaction in a database; in a folder every new file is written beside the old ones first and the old ones are then replaced by renames, undone on an error, the configuration last (only a crash during those renames can leave a folder half-copied, with its old revision: run the copy again). Activity records and this host's gateway records stay where they are.</para>
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

    /// <summary><para>Replaces a target that is not empty: its configuration, its blobs, and deletes the blobs only it has (its server certificate, sign-in keys, secrets). Never a target that is corrupt or of an unknown schema version.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para>Returns what was copied: both locations, the revisions, the blobs copied and the blobs removed.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        try
        {
            IConfigurationStore from = OpenStore(From);
            IConfigurationStore to = OpenStore(To);
            StoreCopyPlan plan = StoreCopy.Plan(from, to, Force);
            // One decision for the whole copy: a target that is part this store and part that one is not a copy.
            string changes = plan.DescribeChanges();
            if (!ShouldProcess($"Copy-CasbStore to '{to.Location}': {changes}.", $"Copy the store '{from.Location}' to '{to.Location}': {changes}?", "Copy-CasbStore"))
            {
                return;
            }

            StoreCopyResult result = StoreCopy.Copy(to, plan);
            WriteVerbose($"Copied revision {result.SourceRevision} of '{result.From}' and {result.Blobs.Count} blob(s) to '{result.To}' as revision {result.Revision}; removed {result.RemovedBlobs.Count} blob(s) only the target had.");
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
