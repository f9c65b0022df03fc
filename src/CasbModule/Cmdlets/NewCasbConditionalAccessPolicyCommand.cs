using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.Catalogs;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Creates a conditional-access policy that routes sessions through App Control or blocks them.</para>
/// <para type="description">The Entra layer, in Entra's words: the users and groups included and excluded (-IncludeUser All means everyone; an exclusion always beats an inclusion), the apps (none means all apps), the client app types (none means all), and the control: -SessionControl AppControl sends the session to the access policies (Conditional Access App Control), -Grant Block refuses it outright. -State ReportOnly evaluates and logs what would have happened without enforcing. A session in the scope of no enabled App Control policy passes through untouched. Apps and groups must already be in the store (errors UnknownApp, UnknownGroup); a name already used is refused with PolicyExists.</para>
/// </summary>
/// <example>
/// <code>New-CasbConditionalAccessPolicy -Name 'Vendors via App Control' -IncludeUser All -App 'Microsoft Online Services' -SessionControl AppControl</code>
/// <para>Sends every session to Microsoft Online Services through the access policies.</para>
/// </example>
/// <example>
/// <code>New-CasbConditionalAccessPolicy 'Block legacy clients' -IncludeGroup Vendors -ExcludeUser admin@contoso.com -ClientAppType MobileAndDesktop -Grant Block -State ReportOnly</code>
/// <para>Logs, without enforcing, that desktop and mobile clients of the Vendors group (except one admin) would be blocked.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "CasbConditionalAccessPolicy", SupportsShouldProcess = true, DefaultParameterSetName = AppControlSet)]
[OutputType(typeof(CasbConditionalAccessPolicy))]
public sealed class NewCasbConditionalAccessPolicyCommand : CasbItemCmdlet
{
    private const string AppControlSet = "AppControl";
    private const string BlockSet = "Block";

    /// <summary><para>The policy's name. Spaces allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para>On (enforced), Off, or ReportOnly (evaluated and logged, not enforced). Default: On.</para></summary>
    [Parameter]
    public ConditionalAccessState State { get; set; } = ConditionalAccessState.On;

    /// <summary><para>Users the policy applies to; All means every user, signed in or anonymous.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? IncludeUser { get; set; }

    /// <summary><para>Groups whose members the policy applies to.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    public string[]? IncludeGroup { get; set; }

    /// <summary><para>Users the policy never applies to, even when included. 'All' is refused (InvalidUser): excluding everyone would make a policy that never applies; set -State Off instead.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? ExcludeUser { get; set; }

    /// <summary><para>Groups whose members the policy never applies to, even when included.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    public string[]? ExcludeGroup { get; set; }

    /// <summary><para>Names of the apps in scope. Default: all apps.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string[]? App { get; set; }

    /// <summary><para>Client app types in scope: Browser, MobileAndDesktop. Default: both.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public ClientAppType[]? ClientAppType { get; set; }

    /// <summary><para>AppControl: sessions in scope are evaluated by the access policies (Conditional Access App Control).</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = AppControlSet)]
    [ValidateSet(nameof(SessionControlKind.AppControl))]
    public SessionControlKind SessionControl { get; set; }

    /// <summary><para>MonitorOnly (downloads and uploads are recorded, access-policy blocks only monitored), BlockDownloads (every download blocked) or UseCustomPolicy (the access and session policies decide). Default: UseCustomPolicy.</para></summary>
    [Parameter(ParameterSetName = AppControlSet)]
    public AppControlMode AppControlMode { get; set; } = AppControlMode.UseCustomPolicy;

    /// <summary><para>Block: sessions in scope are refused without evaluating access policies.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = BlockSet)]
    [ValidateSet(nameof(GrantControl.Block))]
    public GrantControl Grant { get; set; }

    protected override void EndProcessing()
    {
        var entry = new ConditionalAccessPolicyEntry
        {
            Name = Name,
            State = State,
            IncludeUsers = (IncludeUser ?? []).ToList(),
            IncludeGroups = (IncludeGroup ?? []).ToList(),
            ExcludeUsers = (ExcludeUser ?? []).ToList(),
            ExcludeGroups = (ExcludeGroup ?? []).ToList(),
            Apps = (App ?? []).ToList(),
            ClientAppTypes = (ClientAppType ?? []).ToList(),
            SessionControl = ParameterSetName == AppControlSet ? SessionControlKind.AppControl : SessionControlKind.None,
            AppControlMode = AppControlMode,
            Grant = ParameterSetName == BlockSet ? GrantControl.Block : GrantControl.None,
        };

        try
        {
            ConditionalAccessPolicyCatalog.Prepare(entry);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }

        if (ConditionalAccessPolicyCatalog.IncludesNobody(entry))
        {
            WriteWarning($"The policy '{entry.Name}' includes no user or group, so it applies to nobody. Use -IncludeUser All for everyone.");
        }

        if (!ShouldProcess($"Conditional-access policy '{entry.Name}'", "Create policy"))
        {
            return;
        }

        ConditionalAccessPolicyEntry created = UpdateConfiguration(config => ConditionalAccessPolicyCatalog.Add(config, entry, DateTimeOffset.UtcNow));
        WriteObject(new CasbConditionalAccessPolicy(created, Store.Location));
    }
}
