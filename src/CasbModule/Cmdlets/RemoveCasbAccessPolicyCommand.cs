using System.Management.Automation;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes access policies.</para>
/// <para type="description">Removes the access policies given by name (wildcards allowed) or piped from Get-CasbAccessPolicy. A running gateway stops applying them at its next configuration reload.</para>
/// </summary>
/// <example>
/// <code>Remove-CasbAccessPolicy -Name 'Require certificate'</code>
/// <para>Removes one policy.</para>
/// </example>
/// <example>
/// <code>Get-CasbAccessPolicy -Disabled | Remove-CasbAccessPolicy -WhatIf</code>
/// <para>Shows which disabled policies would be removed.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "CasbAccessPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByName)]
public sealed class RemoveCasbAccessPolicyCommand : AccessPolicyItemCommand
{
    protected override void ProcessRecord() => RemoveSelected();
}
