using System.Management.Automation;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets groups of users.</para>
/// <para type="description">Returns the groups in the store, all of them or those whose names match (wildcards allowed), optionally only those a given user is a member of. A name without wildcards that matches nothing is reported with GroupNotFound.</para>
/// </summary>
/// <example>
/// <code>Get-CasbGroup</code>
/// <para>Lists every group with its member count.</para>
/// </example>
/// <example>
/// <code>Get-CasbGroup -Member vendor1@fabrikam.com</code>
/// <para>Lists the groups a user belongs to.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CasbGroup")]
[OutputType(typeof(CasbGroup))]
public sealed class GetCasbGroupCommand : CasbItemCmdlet
{
    /// <summary><para>Names of the groups to get; wildcards allowed. Default: all.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary><para>Only groups this user is a member of (ignoring case and the Unicode spelling of the name).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(GroupMemberCompleter))]
    public string? Member { get; set; }

    protected override void ProcessRecord()
    {
        CasbConfiguration configuration = LoadConfiguration();
        foreach (GroupEntry group in NameSelection.Select(configuration.Groups, g => g.Name, Name, n => WriteNotFound("GroupNotFound", "group", n)))
        {
            if (Member is null || group.Members.Any(m => NameSelection.IsSame(m, Member.Trim())))
            {
                WriteObject(new CasbGroup(group, Store.Location));
            }
        }
    }
}
