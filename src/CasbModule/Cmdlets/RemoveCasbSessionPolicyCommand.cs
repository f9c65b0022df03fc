using System.Management.Automation;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes session policies.</para>
/// <para type="description">Removes the session policies given by name (wildcards allowed) or piped from Get-CasbSessionPolicy. A running gateway stops applying them at its next configuration reload.</para>
/// </summary>
/// <example>
/// <code>Remove-CasbSessionPolicy -Name 'Audit large uploads'</code>
/// <para>Removes one policy.</para>
/// </example>
/// <example>
/// <code>Get-CasbSessionPolicy -Disabled | Remove-CasbSessionPolicy -WhatIf</code>
/// <para>Shows which disabled session policies would be removed.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "CasbSessionPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByName)]
public sealed class RemoveCasbSessionPolicyCommand : SessionPolicyItemCommand
{
    protected override void ProcessRecord() => RemoveSelected();
}
