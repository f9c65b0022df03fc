using System.Management.Automation;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Disables session policies.</para>
/// <para type="description">Turns session policies off without removing them: they no longer apply until enabled again. A policy already disabled is left as it is. Policies are given by name (wildcards allowed) or piped from Get-CasbSessionPolicy.</para>
/// </summary>
/// <example>
/// <code>Disable-CasbSessionPolicy -Name 'No downloads to unmanaged devices'</code>
/// <para>Disables one policy.</para>
/// </example>
/// <example>
/// <code>Get-CasbSessionPolicy -Name 'Audit*' | Disable-CasbSessionPolicy</code>
/// <para>Disables every session policy whose name starts with Audit.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Disable, "CasbSessionPolicy", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(CasbSessionPolicy))]
public sealed class DisableCasbSessionPolicyCommand : SessionPolicyItemCommand
{
    /// <summary><para>Returns the policies after the change.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() => SetSelectedEnabled(enabled: false, PassThru);
}
