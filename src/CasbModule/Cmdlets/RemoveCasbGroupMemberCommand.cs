using System.Management.Automation;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes users from a group.</para>
/// <para type="description">Removes members from a group, matching user names ignoring case and their Unicode spelling. Removing a user who is not a member changes nothing. The group is given by name or piped from Get-CasbGroup; an unknown group is reported with GroupNotFound.</para>
/// </summary>
/// <example>
/// <code>Get-CasbGroup -Member vendor1@fabrikam.com | Remove-CasbGroupMember -Member vendor1@fabrikam.com</code>
/// <para>Removes a user from every group they belong to.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "CasbGroupMember", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(CasbGroup))]
public sealed class RemoveCasbGroupMemberCommand : GroupMemberCommand
{
    protected override string Verb => "Remove";

    protected override GroupEntry Change(CasbConfiguration configuration, string group, IReadOnlyList<string> members) =>
        GroupCatalog.RemoveMembers(configuration, group, members);
}
