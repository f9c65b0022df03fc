using System.Management.Automation;
using CasbCore.Model;
using CasbCore.Catalogs;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes conditional-access policies.</para>
/// <para type="description">Removes the policies given by name (wildcards allowed) or piped from Get-CasbConditionalAccessPolicy. Sessions the policy routed through App Control then pass through untouched unless another policy covers them.</para>
/// </summary>
/// <example>
/// <code>Remove-CasbConditionalAccessPolicy -Name 'Vendors via App Control'</code>
/// <para>Removes one policy.</para>
/// </example>
/// <example>
/// <code>Get-CasbConditionalAccessPolicy -State Off | Remove-CasbConditionalAccessPolicy -WhatIf</code>
/// <para>Shows which policies that are turned off would be removed.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "CasbConditionalAccessPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByName)]
public sealed class RemoveCasbConditionalAccessPolicyCommand : CasbItemCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    /// <summary><para>Names of the policies to remove; wildcards allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ConditionalAccessPolicyNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary><para>Policies to remove, as returned by Get-CasbConditionalAccessPolicy.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    [ValidateNotNull]
    public CasbConditionalAccessPolicy[] InputObject { get; set; } = [];

    protected override void ProcessRecord()
    {
        List<(string Name, string StorePath)> names;
        if (ParameterSetName == ByObject)
        {
            names = InputObject.Select(p => (p.ExactName, p.ExactStorePath)).ToList();
        }
        else
        {
            CasbConfiguration snapshot = LoadConfiguration();
            names = NameSelection.Select(snapshot.ConditionalAccessPolicies, p => p.Name, Name, n => WriteNotFound("PolicyNotFound", "conditional-access policy", n))
                .Select(p => (p.Name, "")).ToList();
        }

        foreach ((string name, string storePath) in names)
        {
            UseStoreOf(storePath);
            if (!ShouldProcess($"Conditional-access policy '{name}'", "Remove policy"))
            {
                continue;
            }

            TryUpdateItem(config => ConditionalAccessPolicyCatalog.Remove(config, name));
        }
    }
}
