using System.Management.Automation;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Changes access policies.</para>
/// <para type="description">Changes the access policies given by name (wildcards allowed) or piped from Get-CasbAccessPolicy. Only the parameters given change; a list parameter replaces the list (an empty array clears it). The same checks as New-CasbAccessPolicy apply (UnknownApp, UnknownGroup, UnknownDeviceTag, InvalidIPRange).</para>
/// </summary>
/// <example>
/// <code>Set-CasbAccessPolicy -Name 'Require certificate' -BlockMessage 'Sign in from a company laptop.' -Severity High</code>
/// <para>Changes the message on the block page and raises the policy's severity.</para>
/// </example>
/// <example>
/// <code>Get-CasbAccessPolicy -App 'Azure Portal' | Set-CasbAccessPolicy -ExcludeGroup 'Break glass' -PassThru</code>
/// <para>Excludes the Break glass group from every policy for Azure Portal and shows the result.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "CasbAccessPolicy", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(CasbAccessPolicy))]
public sealed class SetCasbAccessPolicyCommand : AccessPolicyItemCommand
{
    /// <summary><para>A new name for the policy (only when one policy is changed).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NewName { get; set; }

    /// <summary><para>Block or Test.</para></summary>
    [Parameter]
    public AccessPolicyAction Action { get; set; }

    /// <summary><para>The text shown on the block page; an empty string removes it.</para></summary>
    [Parameter]
    [AllowEmptyString]
    public string? BlockMessage { get; set; }

    /// <summary><para>Names of the apps; an empty array means all apps.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string[]? App { get; set; }

    /// <summary><para>Device tags to filter on; an empty array removes the filter.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    [ArgumentCompleter(typeof(DeviceTagCompleter))]
    public string[]? DeviceTag { get; set; }

    /// <summary><para>Equals or DoesNotEqual.</para></summary>
    [Parameter]
    public FilterOperator DeviceTagOperator { get; set; }

    /// <summary><para>User names the policy applies to; All, or an empty array, means all users (the anonymous one included).</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? User { get; set; }

    /// <summary><para>Groups whose members the policy applies to.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    public string[]? Group { get; set; }

    /// <summary><para>Users the policy never applies to. 'All' is refused (InvalidUser): excluding everyone would make a policy that never applies; disable it instead.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? ExcludeUser { get; set; }

    /// <summary><para>Groups whose members the policy never applies to.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    public string[]? ExcludeGroup { get; set; }

    /// <summary><para>Browser, MobileAndDesktop or Any.</para></summary>
    [Parameter]
    public AccessPolicyClientApp ClientApp { get; set; }

    /// <summary><para>IP addresses or CIDR ranges; an empty array removes the filter.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? IPRange { get; set; }

    /// <summary><para>In or NotIn.</para></summary>
    [Parameter]
    public IPRangeOperator IPRangeOperator { get; set; }

    /// <summary><para>User-agent substrings; an empty array removes the filter.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? UserAgentContains { get; set; }

    /// <summary><para>Low, Medium or High.</para></summary>
    [Parameter]
    public PolicySeverity Severity { get; set; }

    /// <summary><para>A note for admins; an empty string removes it.</para></summary>
    [Parameter]
    [AllowEmptyString]
    public string? Description { get; set; }

    /// <summary><para>Returns the changed policies.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        ChangeSelected(SelectedNames(), new AccessPolicyChange
        {
            NewName = NewName,
            Action = IsBound(nameof(Action)) ? Action : null,
            BlockMessage = BlockMessage,
            Description = Description,
            Apps = App,
            DeviceTags = DeviceTag,
            DeviceTagOperator = IsBound(nameof(DeviceTagOperator)) ? DeviceTagOperator : null,
            Users = User,
            Groups = Group,
            ExcludeUsers = ExcludeUser,
            ExcludeGroups = ExcludeGroup,
            ClientApp = IsBound(nameof(ClientApp)) ? ClientApp : null,
            IPRanges = IPRange,
            IPRangeOperator = IsBound(nameof(IPRangeOperator)) ? IPRangeOperator : null,
            UserAgentContains = UserAgentContains,
            Severity = IsBound(nameof(Severity)) ? Severity : null,
        }, PassThru);
    }
}
