using System.Management.Automation;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets session policies.</para>
/// <para type="description">Returns the session policies in the store, all of them or those whose names match (wildcards allowed), optionally only those for an app, of a control type, only enabled or only disabled ones. A name without wildcards that matches nothing is reported with PolicyNotFound.</para>
/// </summary>
/// <example>
/// <code>Get-CasbSessionPolicy</code>
/// <para>Lists every session policy with its control type, action, state and severity.</para>
/// </example>
/// <example>
/// <code>Get-CasbSessionPolicy -ControlType ControlFileDownload -Enabled | Format-List</code>
/// <para>Shows every detail of the enabled download policies.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CasbSessionPolicy", DefaultParameterSetName = AllSet)]
[OutputType(typeof(CasbSessionPolicy))]
public sealed class GetCasbSessionPolicyCommand : FilterPolicyCommand<SessionPolicyEntry, SessionPolicyChange>
{
    /// <summary><para>Names of the policies to get; wildcards allowed. Default: all.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SessionPolicyNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary><para>Only policies that apply to this app (policies without apps apply to all apps and are included too).</para></summary>
    [Parameter]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string? App { get; set; }

    /// <summary><para>Only policies of this control type.</para></summary>
    [Parameter]
    public SessionControlType ControlType { get; set; }

    /// <summary><para>Only enabled policies.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = EnabledSet)]
    public SwitchParameter Enabled { get; set; }

    /// <summary><para>Only disabled policies.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = DisabledSet)]
    public SwitchParameter Disabled { get; set; }

    protected override void ProcessRecord() => WriteSelected(Name, App, policy => !IsBound(nameof(ControlType)) || policy.ControlType == ControlType);

    private protected override FilterPolicyCatalog<SessionPolicyEntry, SessionPolicyChange> Catalog => SessionPolicyCatalog.Instance;

    private protected override object ToObject(SessionPolicyEntry policy, string storePath) => new CasbSessionPolicy(policy, storePath);
}
