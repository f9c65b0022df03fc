using System.Management.Automation;
using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes certificate revocation lists (CRLs) from the store.</para>
/// <para type="description">Removes CRLs by id (the SHA-256 of the CRL, as Get-CasbCertificateRevocationList shows). Takes ids from the pipeline, so Get-CasbCertificateRevocationList output can be piped in; a piped CRL is removed from the store it was read from. Removing a complete CRL also removes the delta CRLs that no remaining complete CRL of the CA is a base for (with -PassThru they are returned too). Certificates the removed CRL listed, and the revocations it carried from the CRLs it replaced (RetiredCount), are no longer known to be revoked unless their CA publishes the CRL at a distribution point; with the Required revocation mode, certificates of that CA fail as RevocationUnknown until a new CRL is added. Supports -WhatIf and -Confirm.</para>
/// </summary>
/// <example>
/// <code>Get-CasbCertificateRevocationList -Issuer '*Issuing CA*' | Remove-CasbCertificateRevocationList</code>
/// <para>Removes the CRLs of the CAs whose name contains "Issuing CA".</para>
/// </example>
/// <example>
/// <code>Get-CasbCertificateRevocationList | Where-Object { -not $_.IsCurrent } | Remove-CasbCertificateRevocationList -WhatIf</code>
/// <para>Shows which out-of-date CRLs would be removed, without removing them.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "CasbCertificateRevocationList", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByObject)]
[OutputType(typeof(CasbCertificateRevocationList))]
public sealed class RemoveCasbCertificateRevocationListCommand : CasbItemCmdlet
{
    private const string ById = "ById";
    // The default: a piped object is bound as itself (and goes back to its own store) before its thumbprint or id by property name.
    private const string ByObject = "ByObject";

    /// <summary><para>The ids (SHA-256 of the CRL) of the CRLs to remove.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ById, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.RevocationListCompleter))]
    public string[] Id { get; set; } = Array.Empty<string>();

    /// <summary><para>CRLs to remove, as returned by Get-CasbCertificateRevocationList; each is removed from the store it was read from.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    [ValidateNotNull]
    public CasbCertificateRevocationList[] InputObject { get; set; } = Array.Empty<CasbCertificateRevocationList>();

    /// <summary><para>Returns the removed CRLs.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        List<(string Id, string StorePath)> ids = ParameterSetName == ByObject
            ? InputObject.Select(c => (c.Id, c.ExactStorePath)).ToList()
            : Id.Select(i => (i, "")).ToList();
        foreach ((string rawId, string storePath) in ids)
        {
            UseStoreOf(storePath);
            CasbConfiguration current = LoadConfiguration();
            string id = rawId.Trim();
            RevocationListEntry? entry = RevocationLists.Find(current, id);
            if (entry is null)
            {
                WriteCasbError(NotFound(id));
                continue;
            }

            if (!ShouldProcess($"{entry.Issuer} ({entry.Id})", "Remove certificate revocation list"))
            {
                continue;
            }

            (RevocationListEntry? removed, IReadOnlyList<RevocationListEntry> deltas) = UpdateConfiguration(configuration =>
                (RevocationLists.Remove(configuration, id, out IReadOnlyList<RevocationListEntry> alsoRemoved), alsoRemoved));
            if (removed is null)
            {
                WriteCasbError(NotFound(id)); // removed by someone else meanwhile
                continue;
            }

            foreach (RevocationListEntry delta in deltas)
            {
                WriteVerbose($"The delta CRL '{delta.Id}' (CRL number {delta.CrlNumber}) of '{delta.Issuer}' was removed too: no remaining complete CRL is its base.");
            }

            if (PassThru)
            {
                WriteObject(new CasbCertificateRevocationList(removed, Store.Location, current.Settings));
                foreach (RevocationListEntry delta in deltas)
                {
                    WriteObject(new CasbCertificateRevocationList(delta, Store.Location, current.Settings));
                }
            }
        }
    }

    private CasbException NotFound(string id) =>
        new("CrlNotFound", CasbErrorKind.ObjectNotFound, $"The store '{Store.Location}' has no CRL with id '{id}'.", id);
}
