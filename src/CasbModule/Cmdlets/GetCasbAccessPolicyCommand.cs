using System.Management.Automation;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets access policies.</para>
/// <para type="description">Returns the access policies in the store, all of them or those whose names match (wildcards allowed), optionally only those for an app, only enabled or only disabled ones. A name without wildcards that matches nothing is reported with PolicyNotFound.</para>
/// </summary>
/// <example>
/// <code>Get-CasbAccessPolicy</code>
/// <para>Lists every access policy with its action, state and severity.</para>
/// </example>
/// <example>
/// <code>Get-CasbAccessPolicy -Name v* | Disable-CasbAccessPolicy</code>
/// <para>Disables every access policy whose name starts with v.</para>
/// </example>
/// <example>
/// <code>Get-CasbAccessPolicy -App 'Microsoft Online Services' -Enabled</code>
/// <para>Lists the enabled policies that apply to Microsoft Online Services (including those for all apps).</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CasbAccessPolicy", DefaultParameterSetName = AllSet)]
[OutputType(typeof(CasbAccessPolicy))]
public sealed class GetCasbAccessPolicyCommand : FilterPolicyCommand<AccessPolicyEntry, AccessPolicyChange>
{
    /// <summary><para>Names of the policies to get; wildcards allowed. Default: all.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(AccessPolicyNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary><para>Only policies that apply to this app (policies without apps apply to all apps and are included too).</para></summary>
    [Parameter]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string? App { get; set; }

    /// <summary><para>Only enabled policies.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = EnabledSet)]
    public SwitchParameter Enabled { get; set; }

    /// <summary><para>Only disabled policies.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = DisabledSet)]
    public SwitchParameter Disabled { get; set; }

    protected override void ProcessRecord() => WriteSelected(Name, App, _ => true);

    private protected override FilterPolicyCatalog<AccessPolicyEntry, AccessPolicyChange> Catalog => AccessPolicyCatalog.Instance;

    private protected override object ToObject(AccessPolicyEntry policy, string storePath) => new CasbAccessPolicy(policy, storePath);
}
