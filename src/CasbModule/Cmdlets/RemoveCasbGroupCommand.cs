using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.Catalogs;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes groups of users.</para>
/// <para type="description">Removes the groups given by name (wildcards allowed) or piped from Get-CasbGroup. A group that a policy still includes or excludes is not removed (error GroupInUse): silently dropping it from an exclusion would widen the policy, so change the policies first.</para>
/// </summary>
/// <example>
/// <code>Remove-CasbGroup -Name Vendors</code>
/// <para>Removes the Vendors group, if no policy refers to it.</para>
/// </example>
/// <example>
/// <code>Get-CasbGroup 'Test*' | Remove-CasbGroup -WhatIf</code>
/// <para>Shows which test groups would be removed.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "CasbGroup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByName)]
public sealed class RemoveCasbGroupCommand : CasbItemCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    /// <summary><para>Names of the groups to remove; wildcards allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary><para>Groups to remove, as returned by Get-CasbGroup.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    [ValidateNotNull]
    public CasbGroup[] InputObject { get; set; } = [];

    protected override void ProcessRecord()
    {
        List<(string Name, string StorePath)> names;
        if (ParameterSetName == ByObject)
        {
            names = InputObject.Select(g => (g.ExactName, g.ExactStorePath)).ToList();
        }
        else
        {
            CasbConfiguration snapshot = LoadConfiguration();
            names = NameSelection.Select(snapshot.Groups, g => g.Name, Name, n => WriteNotFound("GroupNotFound", "group", n)).Select(g => (g.Name, "")).ToList();
        }

        foreach ((string name, string storePath) in names)
        {
            UseStoreOf(storePath);
            if (!ShouldProcess($"Group '{name}'", "Remove group"))
            {
                continue;
            }

            TryUpdateItem(config => GroupCatalog.Remove(config, name));
        }
    }
}
