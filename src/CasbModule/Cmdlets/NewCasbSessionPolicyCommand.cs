using System.Management.Automation;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Creates a session policy that audits or blocks downloads and uploads inside an allowed session.</para>
/// <para type="description">A session policy applies inside sessions that an enabled App Control conditional-access policy with -AppControlMode UseCustomPolicy routes to it, and only when all its filters match: the access policies' session filters (apps, device tags, users and groups with exclusions, client app, Browser by default, and IP ranges) and its file filters (-FileExtension, -MinFileSizeMB; a transfer of unknown size matches a size filter). -ControlType MonitorOnly records every download and upload; ControlFileDownload and ControlFileUpload audit or block (-Action) the transfers of their direction, blocking with -BlockMessage. When several match, Block wins over Audit, then the higher -Severity. (Conditional-access mode MonitorOnly records every transfer and BlockDownloads blocks every download without session policies.) Apps and groups must already be in the store (UnknownApp, UnknownGroup); a name already used is PolicyExists; -ControlType MonitorOnly with -Action Block is MonitorOnlyCannotBlock.</para>
/// </summary>
/// <example>
/// <code>New-CasbSessionPolicy -Name 'No downloads to unmanaged devices' -ControlType ControlFileDownload -Action Block -App 'Microsoft Online Services' -DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual -BlockMessage 'Download from a company device.'</code>
/// <para>Blocks downloads from Microsoft Online Services on devices without a valid client certificate.</para>
/// </example>
/// <example>
/// <code>New-CasbSessionPolicy 'Audit large uploads' -ControlType ControlFileUpload -Action Audit -FileExtension docx, xlsx -MinFileSizeMB 50 -Severity Low</code>
/// <para>Records uploads of Word and Excel files of 50 MB or more to any app.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "CasbSessionPolicy", SupportsShouldProcess = true)]
[OutputType(typeof(CasbSessionPolicy))]
public sealed class NewCasbSessionPolicyCommand : FilterPolicyCommand<SessionPolicyEntry, SessionPolicyChange>
{
    /// <summary><para>The policy's name. Spaces allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para>MonitorOnly (record every download and upload), ControlFileDownload or ControlFileUpload.</para></summary>
    [Parameter(Mandatory = true)]
    public SessionControlType ControlType { get; set; }

    /// <summary><para>Audit (record the transfer) or Block (refuse it). Default: Audit.</para></summary>
    [Parameter]
    public SessionPolicyAction Action { get; set; } = SessionPolicyAction.Audit;

    /// <summary><para>The text shown to a user whose download or upload is blocked.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BlockMessage { get; set; }

    /// <summary><para>Names of the apps the policy applies to. Default: all apps.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string[]? App { get; set; }

    /// <summary><para>Device tags to filter on, such as 'Valid client certificate' (or ValidClientCertificate).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DeviceTagCompleter))]
    public string[]? DeviceTag { get; set; }

    /// <summary><para>Equals: the device has the tags. DoesNotEqual: it lacks them. Default: Equals.</para></summary>
    [Parameter]
    public FilterOperator DeviceTagOperator { get; set; } = FilterOperator.Equals;

    /// <summary><para>User names the policy applies to; All means every user, the anonymous one included, as in a conditional-access policy. Default: all users.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? User { get; set; }

    /// <summary><para>Groups whose members the policy applies to.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    public string[]? Group { get; set; }

    /// <summary><para>Users the policy never applies to. 'All' is refused (InvalidUser): excluding everyone would make a policy that never applies; disable it instead.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? ExcludeUser { get; set; }

    /// <summary><para>Groups whose members the policy never applies to.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    public string[]? ExcludeGroup { get; set; }

    /// <summary><para>Browser (default), MobileAndDesktop, or Any.</para></summary>
    [Parameter]
    public AccessPolicyClientApp ClientApp { get; set; } = AccessPolicyClientApp.Browser;

    /// <summary><para>IP addresses or CIDR ranges, IPv4 or IPv6, to filter on.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? IPRange { get; set; }

    /// <summary><para>In: the client address is in one of the ranges. NotIn: it is in none. Default: In.</para></summary>
    [Parameter]
    public IPRangeOperator IPRangeOperator { get; set; } = IPRangeOperator.In;

    /// <summary><para>File extensions the policy applies to, with or without the dot (docx, .pdf). Default: every file. How the gateway recognizes a file: a download by its Content-Disposition or, without one, by a URL whose last segment has an extension the policy names; an upload as a multipart file part, a body with a Content-Disposition, or a PUT (or WebDAV MOVE or COPY) to a URL whose last segment is the file's name. So an upload policy without extensions also decides every PUT of a body to a named URL, a REST update such as PUT /api/items/42 included: give it extensions to leave those alone.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? FileExtension { get; set; }

    /// <summary><para>Only files of at least this many MB (MiB). A transfer whose size is unknown matches.</para></summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinFileSizeMB { get; set; }

    /// <summary><para>Low, Medium (default) or High; among matching policies of the same action, the highest severity decides.</para></summary>
    [Parameter]
    public PolicySeverity Severity { get; set; } = PolicySeverity.Medium;

    /// <summary><para>Creates the policy disabled.</para></summary>
    [Parameter]
    public SwitchParameter Disabled { get; set; }

    /// <summary><para>A note for admins.</para></summary>
    [Parameter]
    public string? Description { get; set; }

    protected override void EndProcessing()
    {
        var policy = new SessionPolicyEntry
        {
            Name = Name,
            Description = Description,
            ControlType = ControlType,
            Action = Action,
            BlockMessage = BlockMessage,
            Apps = (App ?? []).ToList(),
            DeviceTags = (DeviceTag ?? []).ToList(),
            DeviceTagOperator = DeviceTagOperator,
            Users = (User ?? []).ToList(),
            Groups = (Group ?? []).ToList(),
            ExcludeUsers = (ExcludeUser ?? []).ToList(),
            ExcludeGroups = (ExcludeGroup ?? []).ToList(),
            ClientApp = ClientApp,
            IPRanges = (IPRange ?? []).ToList(),
            IPRangeOperator = IPRangeOperator,
            FileExtensions = (FileExtension ?? []).ToList(),
            MinFileSizeMB = IsBound(nameof(MinFileSizeMB)) ? MinFileSizeMB : null,
            Severity = Severity,
            Enabled = !Disabled.IsPresent,
        };
        Create(policy, Action == SessionPolicyAction.Block ? null : $"only records (-Action {Action})");
    }

    private protected override FilterPolicyCatalog<SessionPolicyEntry, SessionPolicyChange> Catalog => SessionPolicyCatalog.Instance;

    private protected override object ToObject(SessionPolicyEntry policy, string storePath) => new CasbSessionPolicy(policy, storePath);
}
