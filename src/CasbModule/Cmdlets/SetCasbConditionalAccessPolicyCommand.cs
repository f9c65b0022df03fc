using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.Catalogs;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Changes conditional-access policies.</para>
/// <para type="description">Changes the policies given by name (wildcards allowed) or piped from Get-CasbConditionalAccessPolicy. Only the parameters given change; a list parameter replaces the list (an empty array clears it). -SessionControl AppControl and -Grant Block switch the policy's control and cannot be given together.</para>
/// </summary>
/// <example>
/// <code>Set-CasbConditionalAccessPolicy -Name 'Vendors via App Control' -State ReportOnly</code>
/// <para>Stops enforcing the policy but keeps logging what it would do.</para>
/// </example>
/// <example>
/// <code>Get-CasbConditionalAccessPolicy 'Vendors*' | Set-CasbConditionalAccessPolicy -ExcludeGroup 'Break glass' -PassThru</code>
/// <para>Excludes the Break glass group from every vendor policy and shows the result.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "CasbConditionalAccessPolicy", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(CasbConditionalAccessPolicy))]
public sealed class SetCasbConditionalAccessPolicyCommand : CasbItemCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    /// <summary><para>Names of the policies to change; wildcards allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ConditionalAccessPolicyNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary><para>Policies to change, as returned by Get-CasbConditionalAccessPolicy.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    [ValidateNotNull]
    public CasbConditionalAccessPolicy[] InputObject { get; set; } = [];

    /// <summary><para>A new name for the policy (only when one policy is changed).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NewName { get; set; }

    /// <summary><para>On, Off or ReportOnly.</para></summary>
    [Parameter]
    public ConditionalAccessState State { get; set; }

    /// <summary><para>Users the policy applies to; All means everyone.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? IncludeUser { get; set; }

    /// <summary><para>Groups whose members the policy applies to.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    public string[]? IncludeGroup { get; set; }

    /// <summary><para>Users the policy never applies to. 'All' is refused (InvalidUser): excluding everyone would make a policy that never applies; disable it instead.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? ExcludeUser { get; set; }

    /// <summary><para>Groups whose members the policy never applies to.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    public string[]? ExcludeGroup { get; set; }

    /// <summary><para>Names of the apps in scope; an empty array means all apps.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string[]? App { get; set; }

    /// <summary><para>Client app types in scope; an empty array means all.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    public ClientAppType[]? ClientAppType { get; set; }

    /// <summary><para>AppControl: route sessions in scope through the access policies (clears -Grant Block).</para></summary>
    [Parameter]
    [ValidateSet(nameof(SessionControlKind.AppControl))]
    public SessionControlKind SessionControl { get; set; }

    /// <summary><para>MonitorOnly, BlockDownloads or UseCustomPolicy.</para></summary>
    [Parameter]
    public AppControlMode AppControlMode { get; set; }

    /// <summary><para>Block: refuse sessions in scope (clears the App Control session control).</para></summary>
    [Parameter]
    [ValidateSet(nameof(GrantControl.Block))]
    public GrantControl Grant { get; set; }

    /// <summary><para>Returns the changed policies.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private ConditionalAccessPolicyChange _change = new();

    protected override void BeginProcessing()
    {
        _change = new ConditionalAccessPolicyChange
        {
            NewName = NewName,
            State = IsBound(nameof(State)) ? State : null,
            IncludeUsers = IncludeUser,
            IncludeGroups = IncludeGroup,
            ExcludeUsers = ExcludeUser,
            ExcludeGroups = ExcludeGroup,
            Apps = App,
            ClientAppTypes = ClientAppType,
            SessionControl = IsBound(nameof(SessionControl)) ? SessionControlKind.AppControl : null,
            AppControlMode = IsBound(nameof(AppControlMode)) ? AppControlMode : null,
            Grant = IsBound(nameof(Grant)) ? GrantControl.Block : null,
        };
        try
        {
            _change = ConditionalAccessPolicyCatalog.Prepare(_change);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }
    }

    protected override void ProcessRecord()
    {
        List<(string Name, string StorePath)> names;
        if (ParameterSetName == ByObject)
        {
            names = InputObject.Select(p => (p.ExactName, p.ExactStorePath)).ToList();
        }
        else
        {
            CasbConfiguration snapshot = LoadConfiguration();
            names = NameSelection.Select(snapshot.ConditionalAccessPolicies, p => p.Name, Name, n => WriteNotFound("PolicyNotFound", "conditional-access policy", n))
                .Select(p => (p.Name, "")).ToList();
        }

        foreach ((string name, string storePath) in names)
        {
            UseStoreOf(storePath);
            if (!ShouldProcess($"Conditional-access policy '{name}'", "Change policy"))
            {
                continue;
            }

            ConditionalAccessPolicyEntry? changed = TryUpdateItem(config => ConditionalAccessPolicyCatalog.Change(config, name, _change, DateTimeOffset.UtcNow));
            if (changed is not null && PassThru)
            {
                WriteObject(new CasbConditionalAccessPolicy(changed, Store.Location));
            }
        }
    }
}
