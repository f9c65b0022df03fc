using System.Management.Automation;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Enables access policies.</para>
/// <para type="description">Turns access policies on: they are evaluated again for sessions under App Control. Policies are given by name (wildcards allowed) or piped from Get-CasbAccessPolicy. A policy already enabled is left as it is.</para>
/// </summary>
/// <example>
/// <code>Enable-CasbAccessPolicy -Name 'Require certificate'</code>
/// <para>Enables one policy.</para>
/// </example>
/// <example>
/// <code>Get-CasbAccessPolicy -Disabled | Enable-CasbAccessPolicy -PassThru</code>
/// <para>Enables every disabled policy and shows them.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Enable, "CasbAccessPolicy", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(CasbAccessPolicy))]
public sealed class EnableCasbAccessPolicyCommand : AccessPolicyItemCommand
{
    /// <summary><para>Returns the policies after the change.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() => SetSelectedEnabled(enabled: true, PassThru);
}
