using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Adds users to a group.</para>
/// <para type="description">Adds members to a group. Adding a user who is already a member (in any letter case) changes nothing, so the command can be repeated safely. The group is given by name or piped from Get-CasbGroup; an unknown group is reported with GroupNotFound.</para>
/// </summary>
/// <example>
/// <code>Add-CasbGroupMember -Group Vendors -Member vendor3@fabrikam.com</code>
/// <para>Adds one user to the Vendors group.</para>
/// </example>
[Cmdlet(VerbsCommon.Add, "CasbGroupMember", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(CasbGroup))]
public sealed class AddCasbGroupMemberCommand : CasbItemCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    /// <summary><para>The name of the group.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    public string Group { get; set; } = "";

    /// <summary><para>User names.</para></summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ByName)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByObject)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(GroupMemberCompleter))]
    public string[] Member { get; set; } = [];

    /// <summary><para>The group, as returned by Get-CasbGroup.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    [ValidateNotNull]
    public CasbGroup InputObject { get; set; } = null!;

    /// <summary><para>Returns the group after the change.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        string groupName = Group;
        if (ParameterSetName == ByObject)
        {
            UseStoreOf(InputObject.StorePath);
            groupName = InputObject.Name;
        }

        List<string> members = null!;
        try
        {
            members = ConfigurationChecks.Users(Member);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }

        if (!ShouldProcess($"Group '{groupName}'", $"Add member(s) {string.Join(", ", members)}"))
        {
            return;
        }

        GroupEntry? changed = TryUpdateItem(config =>
        {
            GroupEntry group = config.Groups.FirstOrDefault(g => NameSelection.IsSame(g.Name, groupName)) ?? throw NotFound("GroupNotFound", "group", groupName);
            foreach (string member in members)
                {
                    if (!group.Members.Any(m => NameSelection.IsSame(m, member)))
                    {
                        group.Members.Add(member);
                    }
                }

            ConfigurationValidator.ThrowIfInvalid(config);
            return group;
        });

        if (changed is not null && PassThru)
        {
            WriteObject(new CasbGroup(changed, Store.Path));
        }
    }
}
