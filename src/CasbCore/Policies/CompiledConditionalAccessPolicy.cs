using CasbCore.Catalogs;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>One conditional-access policy with its assignments precomputed and its constant results prebuilt.</summary>
internal sealed class CompiledConditionalAccessPolicy
{
    /// <summary>The IncludeUsers value that means every user, the anonymous one included.</summary>
    public const string AllUsers = "All";

    private readonly bool _includeAll;
    private readonly int[] _includeUsers;
    private readonly int[] _includeGroups;
    private readonly int[] _excludeUsers;
    private readonly int[] _excludeGroups;
    private readonly HashSet<string>? _apps;
    private readonly bool _browser;
    private readonly bool _mobileAndDesktop;

    public CompiledConditionalAccessPolicy(ConditionalAccessPolicyEntry entry, PrincipalIndex principals)
    {
        Name = entry.Name;
        State = entry.State;
        _includeAll = entry.IncludeUsers.Any(IsAllUsers);
        _includeUsers = principals.Users(entry.IncludeUsers);
        _includeGroups = principals.Groups(entry.IncludeGroups);
        _excludeUsers = principals.Users(entry.ExcludeUsers);
        _excludeGroups = principals.Groups(entry.ExcludeGroups);
        _apps = entry.Apps.Count > 0 ? new HashSet<string>(entry.Apps.Select(a => a.Trim()), ItemNames.Comparer) : null;
        _browser = entry.ClientAppTypes.Count == 0 || entry.ClientAppTypes.Contains(ClientAppType.Browser);
        _mobileAndDesktop = entry.ClientAppTypes.Count == 0 || entry.ClientAppTypes.Contains(ClientAppType.MobileAndDesktop);
        Blocks = entry.Grant == GrantControl.Block;
        AppControl = !Blocks && entry.SessionControl == SessionControlKind.AppControl;
        Mode = entry.AppControlMode;

        Off = Result(ConditionalAccessOutcome.NotApplied, "The policy is off.");
        Applied = Result(ConditionalAccessOutcome.Applied,
            Blocks ? "Blocks access (grant control Block)."
            : AppControl ? $"Session under App Control ({Mode})."
            : "In scope; no grant or session control.");
        ReportOnly = Result(ConditionalAccessOutcome.ReportOnly,
            Blocks ? "Report-only: would have blocked access."
            : AppControl ? $"Report-only: would have applied App Control ({Mode})."
            : "Report-only: in scope; no grant or session control.");
        BlockMessage = $"Access blocked by conditional access policy '{Name}'.";
        BlockedReason = $"Blocked by conditional access policy '{Name}'.";
    }

    /// <summary>True for "All" as names compare (any case, white space, fullwidth letters): every user, in a conditional-access policy's and an access or session policy's users.</summary>
    public static bool IsAllUsers(string? user) => user is not null && SignIn.UserNames.Comparer.Equals(user.Trim(), AllUsers);

    public string Name { get; }

    public ConditionalAccessState State { get; }

    /// <summary>Grant control Block (takes precedence over a session control in the same policy, as in Entra).</summary>
    public bool Blocks { get; }

    /// <summary>Session control App Control.</summary>
    public bool AppControl { get; }

    public AppControlMode Mode { get; }

    /// <summary>The prebuilt result (and its reason line) when the policy is off.</summary>
    public (ConditionalAccessResult Result, string Line) Off { get; }

    /// <summary>The prebuilt result when the request is in scope and the policy is On.</summary>
    public (ConditionalAccessResult Result, string Line) Applied { get; }

    /// <summary>The prebuilt result when the request is in scope and the policy is ReportOnly.</summary>
    public (ConditionalAccessResult Result, string Line) ReportOnly { get; }

    /// <summary>The message of a block by this policy (grant control Block).</summary>
    public string BlockMessage { get; }

    /// <summary>The reason line when this policy's block decides the request.</summary>
    public string BlockedReason { get; }

    /// <summary>
    /// The result and reason line for a request out of this policy's scope (explanations only: it allocates). Without
    /// <paramref name="withLine"/> the line is empty: the activity record keeps the result and never the lines.
    /// </summary>
    public (ConditionalAccessResult Result, string Line) NotInScope(ConditionalAccessScope scope, in RequestFacts facts, bool withLine = true)
    {
        string because = scope.Kind switch
        {
            ConditionalAccessScopeKind.NotIncluded => $"{Who(facts)} is not included",
            ConditionalAccessScopeKind.Excluded => $"{Who(facts)} is excluded",
            ConditionalAccessScopeKind.ExcludedThroughGroup => $"{Who(facts)} is excluded through group '{facts.Groups[scope.GroupIndex]}'",
            ConditionalAccessScopeKind.AppNotInScope => $"app '{facts.App}' is not in scope",
            _ => $"client app type {facts.ClientAppType} is not in scope",
        };
        string reason = $"Not in scope: {because}.";
        return withLine ? Result(ConditionalAccessOutcome.NotApplied, reason) : (new ConditionalAccessResult(Name, ConditionalAccessOutcome.NotApplied, reason), "");
    }

    /// <summary>Whether the request is in the policy's scope, and if not the first reason why (no text: nothing allocated).</summary>
    public ConditionalAccessScope CheckScope(in RequestFacts facts)
    {
        bool included = _includeAll ||
                        PrincipalIndex.Contains(_includeUsers, facts.UserId) ||
                        PrincipalIndex.ContainsAny(_includeGroups, facts.GroupIds);
        if (!included)
        {
            return new ConditionalAccessScope(ConditionalAccessScopeKind.NotIncluded);
        }

        if (PrincipalIndex.Contains(_excludeUsers, facts.UserId))
        {
            return new ConditionalAccessScope(ConditionalAccessScopeKind.Excluded);
        }

        int[] groupIds = facts.GroupIds;
        for (int i = 0; i < groupIds.Length; i++)
        {
            if (PrincipalIndex.Contains(_excludeGroups, groupIds[i]))
            {
                return new ConditionalAccessScope(ConditionalAccessScopeKind.ExcludedThroughGroup, i);
            }
        }

        if (_apps is not null && !_apps.Contains(facts.App))
        {
            return new ConditionalAccessScope(ConditionalAccessScopeKind.AppNotInScope);
        }

        bool typeInScope = facts.ClientAppType == ClientAppType.Browser ? _browser : _mobileAndDesktop;
        return new ConditionalAccessScope(typeInScope ? ConditionalAccessScopeKind.InScope : ConditionalAccessScopeKind.ClientAppTypeNotInScope);
    }

    private static string Who(in RequestFacts facts) => facts.User is null ? "the anonymous user" : $"user '{facts.User}'";

    private (ConditionalAccessResult Result, string Line) Result(ConditionalAccessOutcome outcome, string reason) =>
        (new ConditionalAccessResult(Name, outcome, reason), $"Conditional access policy '{Name}': {outcome}. {reason}");
}
