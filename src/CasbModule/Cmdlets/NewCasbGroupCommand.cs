using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.Catalogs;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Creates a group of users for policies to include or exclude.</para>
/// <para type="description">Creates a named group, optionally with members. Members are user names as the gateway sees them (the identity header of a trusted sign-in proxy, or the client certificate's UPN, e-mail or common name) and are compared ignoring case and the Unicode spelling of a letter ('é' precomposed or as 'e' and an accent, fullwidth letters), in the form they are stored in (Unicode NFC). A name already used is refused with GroupExists.</para>
/// </summary>
/// <example>
/// <code>New-CasbGroup -Name Vendors -Description 'External vendors' -Member vendor1@fabrikam.com, vendor2@fabrikam.com</code>
/// <para>Creates the Vendors group with two members.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "CasbGroup", SupportsShouldProcess = true)]
[OutputType(typeof(CasbGroup))]
public sealed class NewCasbGroupCommand : CasbItemCmdlet
{
    /// <summary><para>The group's name. Spaces allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para>A note for admins.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Description { get; set; }

    /// <summary><para>User names to add as members.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Members")]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(GroupMemberCompleter))]
    public string[]? Member { get; set; }

    protected override void ProcessRecord()
    {
        var entry = new GroupEntry { Name = Name, Description = Description, Members = (Member ?? []).ToList() };
        try
        {
            GroupCatalog.Prepare(entry);
        }
        catch (CasbException ex)
        {
            ReportItemError(ex);
            return;
        }

        if (!ShouldProcess($"Group '{entry.Name}'", "Create group"))
        {
            return;
        }

        GroupEntry? created = UpdateItem(config => GroupCatalog.Add(config, entry, DateTimeOffset.UtcNow));
        if (created is not null)
        {
            WriteObject(new CasbGroup(created, Store.Location));
        }
    }
}
