using System.Management.Automation;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Adds users to a group.</para>
/// <para type="description">Adds members to a group. Adding a user who is already a member (in any letter case, or another Unicode spelling of the name: 'é' precomposed or as 'e' and an accent) changes nothing, so the command can be repeated safely. The group is given by name or piped from Get-CasbGroup; an unknown group is reported with GroupNotFound.</para>
/// </summary>
/// <example>
/// <code>Add-CasbGroupMember -Group Vendors -Member vendor3@fabrikam.com</code>
/// <para>Adds one user to the Vendors group.</para>
/// </example>
[Cmdlet(VerbsCommon.Add, "CasbGroupMember", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(CasbGroup))]
public sealed class AddCasbGroupMemberCommand : GroupMemberCommand
{
    protected override string Verb => "Add";

    protected override GroupEntry Change(CasbConfiguration configuration, string group, IReadOnlyList<string> members) =>
        GroupCatalog.AddMembers(configuration, group, members);
}
