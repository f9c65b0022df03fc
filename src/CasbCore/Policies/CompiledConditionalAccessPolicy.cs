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
        _includeAll = entry.IncludeUsers.Any(u => string.Equals(u?.Trim(), AllUsers, StringComparison.OrdinalIgnoreCase));
        _includeUsers = principals.Users(entry.IncludeUsers);
        _includeGroups = principals.Groups(entry.IncludeGroups);
        _excludeUsers = principals.Users(entry.ExcludeUsers);
        _excludeGroups = principals.Groups(entry.ExcludeGroups);
        _apps = entry.Apps.Count > 0 ? new HashSet<string>(entry.Apps.Select(a => a.Trim()), StringComparer.OrdinalIgnoreCase) : null;
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
    }

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

    public (ConditionalAccessResult Result, string Line) NotInScope(string because) =>
        Result(ConditionalAccessOutcome.NotApplied, $"Not in scope: {because}.");

    /// <summary>Null when the request is in the policy's scope, else why it is not.</summary>
    public string? NotInScopeBecause(RequestFacts facts)
    {
        bool included = _includeAll ||
                        PrincipalIndex.Contains(_includeUsers, facts.UserId) ||
                        PrincipalIndex.ContainsAny(_includeGroups, facts.GroupIds);
        if (!included)
        {
            return $"{Who(facts)} is not included";
        }

        if (PrincipalIndex.Contains(_excludeUsers, facts.UserId))
        {
            return $"{Who(facts)} is excluded";
        }

        for (int i = 0; i < facts.GroupIds.Length; i++)
        {
            if (PrincipalIndex.Contains(_excludeGroups, facts.GroupIds[i]))
            {
                return $"{Who(facts)} is excluded through group '{facts.Groups[i]}'";
            }
        }

        if (_apps is not null && !_apps.Contains(facts.App))
        {
            return $"app '{facts.App}' is not in scope";
        }

        bool typeInScope = facts.ClientAppType == ClientAppType.Browser ? _browser : _mobileAndDesktop;
        return typeInScope ? null : $"client app type {facts.ClientAppType} is not in scope";
    }

    private static string Who(RequestFacts facts) => facts.User is null ? "the anonymous user" : $"user '{facts.User}'";

    private (ConditionalAccessResult Result, string Line) Result(ConditionalAccessOutcome outcome, string reason) =>
        (new ConditionalAccessResult(Name, outcome, reason), $"Conditional access policy '{Name}': {outcome}. {reason}");
}
