using System.Management.Automation;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Disables access policies.</para>
/// <para type="description">Turns access policies off without removing them: they are no longer evaluated until enabled again. Policies are given by name (wildcards allowed) or piped from Get-CasbAccessPolicy. A policy already disabled is left as it is.</para>
/// </summary>
/// <example>
/// <code>Disable-CasbAccessPolicy -Name 'Require certificate'</code>
/// <para>Disables one policy.</para>
/// </example>
/// <example>
/// <code>Get-CasbAccessPolicy -Name v* | Disable-CasbAccessPolicy</code>
/// <para>Disables every policy whose name starts with v.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Disable, "CasbAccessPolicy", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(CasbAccessPolicy))]
public sealed class DisableCasbAccessPolicyCommand : AccessPolicyItemCommand
{
    /// <summary><para>Returns the policies after the change.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() => SetSelectedEnabled(enabled: false, PassThru);
}
