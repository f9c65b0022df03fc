using System.Management.Automation;
using CasbCore.Model;
using CasbCore.Catalogs;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Creates an access policy (Conditional Access App Control) that blocks or monitors sessions.</para>
/// <para type="description">An access policy applies to sessions that an enabled App Control conditional-access policy routes to it, and only when all its filters match: apps (none means all), device tags (-DeviceTagOperator Equals: the device has the tags; DoesNotEqual: it lacks them), users and groups with exclusions, client app (Browser by default, as in Defender for Cloud Apps: a browser-only policy does not affect desktop clients), IP ranges (In or NotIn) and user-agent substrings. -Action Block refuses a matching session with -BlockMessage on the block page; -Action Test only logs it. When several block, the highest -Severity wins. The device tag 'Valid client certificate' may also be written ValidClientCertificate; it is stored by its display name. Apps and groups must already be in the store (UnknownApp, UnknownGroup); bad ranges or tags are refused at once (InvalidIPRange, UnknownDeviceTag); a name already used is refused with PolicyExists.</para>
/// </summary>
/// <example>
/// <code>New-CasbAccessPolicy -Name 'Require certificate' -App 'Microsoft Online Services' -DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.'</code>
/// <para>Blocks browser sessions to Microsoft Online Services from devices without a valid client certificate, with a custom message.</para>
/// </example>
/// <example>
/// <code>New-CasbAccessPolicy 'Watch outside access' -Action Test -IPRange 10.0.0.0/8, 2001:db8::/32 -IPRangeOperator NotIn -ClientApp Any -Severity Low -Disabled</code>
/// <para>Creates, disabled, a policy that logs sessions from outside the corporate ranges from any client.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "CasbAccessPolicy", SupportsShouldProcess = true)]
[OutputType(typeof(CasbAccessPolicy))]
public sealed class NewCasbAccessPolicyCommand : FilterPolicyCommand<AccessPolicyEntry, AccessPolicyChange>
{
    /// <summary><para>The policy's name. Spaces allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para>Block refuses a matching session; Test only logs it.</para></summary>
    [Parameter(Mandatory = true)]
    public AccessPolicyAction Action { get; set; }

    /// <summary><para>The text shown on the block page to a blocked user.</para></summary>
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

    /// <summary><para>Browser (default, as Defender for Cloud Apps), MobileAndDesktop, or Any.</para></summary>
    [Parameter]
    public AccessPolicyClientApp ClientApp { get; set; } = AccessPolicyClientApp.Browser;

    /// <summary><para>IP addresses or CIDR ranges, IPv4 or IPv6, to filter on.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? IPRange { get; set; }

    /// <summary><para>In: the client address is in one of the ranges. NotIn: it is in none. Default: In.</para></summary>
    [Parameter]
    public IPRangeOperator IPRangeOperator { get; set; } = IPRangeOperator.In;

    /// <summary><para>Substrings of the User-Agent header, any of which makes the filter match.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? UserAgentContains { get; set; }

    /// <summary><para>Low, Medium (default) or High; when several policies block, the highest severity's message is shown.</para></summary>
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
        var policy = new AccessPolicyEntry
        {
            Name = Name,
            Description = Description,
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
            UserAgentContains = (UserAgentContains ?? []).ToList(),
            Severity = Severity,
            Enabled = !Disabled.IsPresent,
        };
        Create(policy, Action == AccessPolicyAction.Block ? null : $"only logs (-Action {Action})");
    }

    private protected override FilterPolicyCatalog<AccessPolicyEntry, AccessPolicyChange> Catalog => AccessPolicyCatalog.Instance;

    private protected override object ToObject(AccessPolicyEntry policy, string storePath) => new CasbAccessPolicy(policy, storePath);
}
