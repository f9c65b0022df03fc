using System.Management.Automation;
using CasbCore.Model;
using CasbCore.Catalogs;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes apps from the gateway.</para>
/// <para type="description">Removes the apps given by name (wildcards allowed) or piped from Get-CasbApp. An app that a conditional-access or access policy still refers to is not removed (error AppInUse) unless -Force is given. With -Force the app is also removed from those policies; a policy whose only app it was is turned off (conditional-access State Off, access policy disabled) rather than left to apply to all apps, and a warning names it.</para>
/// </summary>
/// <example>
/// <code>Remove-CasbApp -Name 'Azure Portal'</code>
/// <para>Removes the app, if no policy refers to it.</para>
/// </example>
/// <example>
/// <code>Get-CasbApp 'Lab*' | Remove-CasbApp -Force -WhatIf</code>
/// <para>Shows which lab apps would be removed, including from the policies that refer to them.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "CasbApp", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByName)]
public sealed class RemoveCasbAppCommand : CasbItemCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    /// <summary><para>Names of the apps to remove; wildcards allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary><para>Apps to remove, as returned by Get-CasbApp.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    [ValidateNotNull]
    public CasbApp[] InputObject { get; set; } = [];

    /// <summary><para>Removes the app even when policies refer to it, removing it from them too (a policy left with no app is turned off).</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        List<(string Name, string StorePath)> names;
        if (ParameterSetName == ByObject)
        {
            names = InputObject.Select(a => (a.ExactName, a.ExactStorePath)).ToList();
        }
        else
        {
            CasbConfiguration snapshot = LoadConfiguration();
            names = NameSelection.Select(snapshot.Apps, a => a.Name, Name, name => WriteNotFound("AppNotFound", "app", name)).Select(a => (a.Name, "")).ToList();
        }

        foreach ((string name, string storePath) in names)
        {
            UseStoreOf(storePath);
            if (!ShouldProcess($"App '{name}'", Force ? "Remove app and its policy references" : "Remove app"))
            {
                continue;
            }

            AppRemoval? removal = TryUpdateItem(config => AppCatalog.Remove(config, name, Force, DateTimeOffset.UtcNow));
            foreach (string policy in removal?.TurnedOffPolicies ?? [])
            {
                WriteWarning($"The policy '{policy}' referred only to the app '{name}' and was turned off; give it an app and turn it on again.");
            }
        }
    }
}
