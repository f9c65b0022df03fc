using System.Management.Automation;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Enables session policies.</para>
/// <para type="description">Turns session policies on: they apply again to downloads and uploads in sessions under App Control. A policy already enabled is left as it is. Policies are given by name (wildcards allowed) or piped from Get-CasbSessionPolicy.</para>
/// </summary>
/// <example>
/// <code>Enable-CasbSessionPolicy -Name 'No downloads to unmanaged devices'</code>
/// <para>Enables one policy.</para>
/// </example>
/// <example>
/// <code>Get-CasbSessionPolicy -Disabled | Enable-CasbSessionPolicy -PassThru</code>
/// <para>Enables every disabled session policy and shows them.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Enable, "CasbSessionPolicy", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(CasbSessionPolicy))]
public sealed class EnableCasbSessionPolicyCommand : SessionPolicyItemCommand
{
    /// <summary><para>Returns the policies after the change.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() => SetSelectedEnabled(enabled: true, PassThru);
}
