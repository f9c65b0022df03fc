using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.Catalogs;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>What Add-CasbGroupMember and Remove-CasbGroupMember share: the group by name or object, the members, the write.</summary>
public abstract class GroupMemberCommand : CasbItemCmdlet
{
    protected const string ByName = "ByName";
    protected const string ByObject = "ByObject";
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

    /// <summary>"Add" or "Remove", for -WhatIf and -Confirm.</summary>
    protected abstract string Verb { get; }

    /// <summary>The engine's change of the group's members; user names compare as UserNames.Comparer compares them (case and Unicode spelling ignored).</summary>
    protected abstract GroupEntry Change(CasbConfiguration configuration, string group, IReadOnlyList<string> members);

    protected override void ProcessRecord()
    {
        string groupName = Group;
        if (ParameterSetName == ByObject)
        {
            UseStoreOf(InputObject.ExactStorePath);
            groupName = InputObject.ExactName;
        }

        List<string> members = null!;
        try
        {
            // Removing takes out a member a store written before names were checked for control characters.
            members = ConfigurationInput.Users(Member, refuseUnfit: Verb == "Add");
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }

        if (!ShouldProcess($"Group '{groupName}'", $"{Verb} member(s) {string.Join(", ", members)}"))
        {
            return;
        }

        GroupEntry? changed = TryUpdateItem(config => Change(config, groupName, members));
        if (changed is not null && PassThru)
        {
            WriteObject(new CasbGroup(changed, Store.Location));
        }
    }
}
