using System.Management.Automation;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Changes session policies.</para>
/// <para type="description">Changes the session policies given by name (wildcards allowed) or piped from Get-CasbSessionPolicy. Only the parameters given change; a list parameter replaces the list (an empty array clears it), and -MinFileSizeMB -1 removes the size filter. The same checks as New-CasbSessionPolicy apply (UnknownApp, UnknownGroup, UnknownDeviceTag, InvalidIPRange, InvalidFileExtension, MonitorOnlyCannotBlock).</para>
/// </summary>
/// <example>
/// <code>Set-CasbSessionPolicy -Name 'Audit large uploads' -Action Block -BlockMessage 'Large uploads are not allowed.'</code>
/// <para>Turns an auditing upload policy into a blocking one with a message.</para>
/// </example>
/// <example>
/// <code>Get-CasbSessionPolicy -App 'Azure Portal' | Set-CasbSessionPolicy -FileExtension @() -PassThru</code>
/// <para>Makes every session policy for Azure Portal apply to files of any extension and shows the result.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "CasbSessionPolicy", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(CasbSessionPolicy))]
public sealed class SetCasbSessionPolicyCommand : SessionPolicyItemCommand
{
    /// <summary><para>A new name for the policy (only when one policy is changed).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NewName { get; set; }

    /// <summary><para>MonitorOnly, ControlFileDownload or ControlFileUpload.</para></summary>
    [Parameter]
    public SessionControlType ControlType { get; set; }

    /// <summary><para>Audit or Block.</para></summary>
    [Parameter]
    public SessionPolicyAction Action { get; set; }

    /// <summary><para>The text shown to a user whose transfer is blocked; an empty string removes it.</para></summary>
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

    /// <summary><para>File extensions; an empty array means every file.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? FileExtension { get; set; }

    /// <summary><para>Only files of at least this many MB; -1 removes the filter.</para></summary>
    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int MinFileSizeMB { get; set; }

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
        ChangeSelected(SelectedNames(), new SessionPolicyChange
        {
            NewName = NewName,
            ControlType = IsBound(nameof(ControlType)) ? ControlType : null,
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
            FileExtensions = FileExtension,
            MinFileSizeMB = IsBound(nameof(MinFileSizeMB)) ? MinFileSizeMB : null,
            Severity = IsBound(nameof(Severity)) ? Severity : null,
        }, PassThru);
    }
}
