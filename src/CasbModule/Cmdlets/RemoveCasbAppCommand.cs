using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
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
        IEnumerable<string> names;
        if (ParameterSetName == ByObject)
        {
            UseStoreOf(InputObject.FirstOrDefault()?.ExactStorePath ?? "");
            names = InputObject.Select(a => a.ExactName);
        }
        else
        {
            CasbConfiguration snapshot = LoadConfiguration();
            names = NameSelection.Select(snapshot.Apps, a => a.Name, Name, name => WriteNotFound("AppNotFound", "app", name)).Select(a => a.Name);
        }

        foreach (string name in names.ToList())
        {
            if (!ShouldProcess($"App '{name}'", Force ? "Remove app and its policy references" : "Remove app"))
            {
                continue;
            }

            List<string>? turnedOff = TryUpdateItem(config => Remove(config, name));
            foreach (string policy in turnedOff ?? [])
            {
                WriteWarning($"The policy '{policy}' referred only to the app '{name}' and was turned off; give it an app and turn it on again.");
            }
        }
    }

    private List<string> Remove(CasbConfiguration config, string name)
    {
        AppEntry app = config.Apps.FirstOrDefault(a => NameSelection.IsSame(a.Name, name)) ?? throw NotFound("AppNotFound", "app", name);
        List<ConditionalAccessPolicyEntry> caPolicies = config.ConditionalAccessPolicies.Where(p => p.Apps.Any(a => NameSelection.IsSame(a, name))).ToList();
        List<AccessPolicyEntry> accessPolicies = config.AccessPolicies.Where(p => p.Apps.Any(a => NameSelection.IsSame(a, name))).ToList();
        var turnedOff = new List<string>();
        if (caPolicies.Count + accessPolicies.Count > 0)
        {
            if (!Force)
            {
                string users = string.Join(", ", caPolicies.Select(p => $"'{p.Name}'").Concat(accessPolicies.Select(p => $"'{p.Name}'")));
                throw new CasbException(
                    "AppInUse", CasbErrorKind.InvalidOperation,
                    $"The app '{app.Name}' is used by the policies {users}. Change them first, or use -Force to remove the app from them too.", app.Name);
            }

            DateTimeOffset now = DateTimeOffset.UtcNow;
            foreach (ConditionalAccessPolicyEntry policy in caPolicies)
            {
                policy.Apps.RemoveAll(a => NameSelection.IsSame(a, name));
                policy.ModifiedAt = now;
                if (policy.Apps.Count == 0)
                {
                    // An empty app list means all apps: turning the policy off keeps it from widening.
                    policy.State = ConditionalAccessState.Off;
                    turnedOff.Add(policy.Name);
                }
            }

            foreach (AccessPolicyEntry policy in accessPolicies)
            {
                policy.Apps.RemoveAll(a => NameSelection.IsSame(a, name));
                policy.ModifiedAt = now;
                if (policy.Apps.Count == 0)
                {
                    policy.Enabled = false;
                    turnedOff.Add(policy.Name);
                }
            }
        }

        config.Apps.Remove(app);
        ConfigurationValidator.ThrowIfInvalid(config);
        return turnedOff;
    }
}
