using System.Management.Automation;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets conditional-access policies.</para>
/// <para type="description">Returns the conditional-access policies in the store, all of them or those whose names match (wildcards allowed), optionally only those that name a given app or are in a given state. A name without wildcards that matches nothing is reported with PolicyNotFound.</para>
/// </summary>
/// <example>
/// <code>Get-CasbConditionalAccessPolicy</code>
/// <para>Lists every conditional-access policy with its state and control.</para>
/// </example>
/// <example>
/// <code>Get-CasbConditionalAccessPolicy -State ReportOnly | Set-CasbConditionalAccessPolicy -State On</code>
/// <para>Turns every report-only policy on.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CasbConditionalAccessPolicy")]
[OutputType(typeof(CasbConditionalAccessPolicy))]
public sealed class GetCasbConditionalAccessPolicyCommand : CasbItemCmdlet
{
    /// <summary><para>Names of the policies to get; wildcards allowed. Default: all.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ConditionalAccessPolicyNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary><para>Only policies that name this app (policies without apps apply to all apps and are included too).</para></summary>
    [Parameter]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string? App { get; set; }

    /// <summary><para>Only policies in this state.</para></summary>
    [Parameter]
    public ConditionalAccessState State { get; set; }

    protected override void ProcessRecord()
    {
        CasbConfiguration configuration = LoadConfiguration();
        List<ConditionalAccessPolicyEntry> selected = NameSelection.Select(
            configuration.ConditionalAccessPolicies, p => p.Name, Name, name => WriteNotFound("PolicyNotFound", "conditional-access policy", name));
        foreach (ConditionalAccessPolicyEntry policy in selected)
        {
            if (App is not null && policy.Apps.Count > 0 && !policy.Apps.Any(a => NameSelection.IsSame(a, App)))
            {
                continue;
            }

            if (IsBound(nameof(State)) && policy.State != State)
            {
                continue;
            }

            WriteObject(new CasbConditionalAccessPolicy(policy, Store.Location));
        }
    }
}
