using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>One conditional-access policy with its assignments precomputed.</summary>
internal sealed class CompiledConditionalAccessPolicy
{
    /// <summary>The IncludeUsers value that means every user, the anonymous one included.</summary>
    public const string AllUsers = "All";

    private readonly bool _includeAll;
    private readonly HashSet<string> _includeUsers;
    private readonly HashSet<string> _includeGroups;
    private readonly HashSet<string> _excludeUsers;
    private readonly HashSet<string> _excludeGroups;
    private readonly HashSet<string>? _apps;
    private readonly bool _browser;
    private readonly bool _mobileAndDesktop;

    public CompiledConditionalAccessPolicy(ConditionalAccessPolicyEntry entry)
    {
        Name = entry.Name;
        State = entry.State;
        _includeUsers = CompiledAccessPolicy.Set(entry.IncludeUsers);
        _includeAll = _includeUsers.Contains(AllUsers);
        _includeGroups = CompiledAccessPolicy.Set(entry.IncludeGroups);
        _excludeUsers = CompiledAccessPolicy.Set(entry.ExcludeUsers);
        _excludeGroups = CompiledAccessPolicy.Set(entry.ExcludeGroups);
        _apps = entry.Apps.Count > 0 ? CompiledAccessPolicy.Set(entry.Apps) : null;
        _browser = entry.ClientAppTypes.Count == 0 || entry.ClientAppTypes.Contains(ClientAppType.Browser);
        _mobileAndDesktop = entry.ClientAppTypes.Count == 0 || entry.ClientAppTypes.Contains(ClientAppType.MobileAndDesktop);
        Blocks = entry.Grant == GrantControl.Block;
        AppControl = !Blocks && entry.SessionControl == SessionControlKind.AppControl;
        Mode = entry.AppControlMode;
    }

    public string Name { get; }

    public ConditionalAccessState State { get; }

    /// <summary>Grant control Block (takes precedence over a session control in the same policy, as in Entra).</summary>
    public bool Blocks { get; }

    /// <summary>Session control App Control.</summary>
    public bool AppControl { get; }

    public AppControlMode Mode { get; }

    /// <summary>Null when the request is in the policy's scope, else why it is not.</summary>
    public string? NotInScopeBecause(in RequestFacts facts)
    {
        string who = facts.User is null ? "the anonymous user" : $"user '{facts.User}'";
        bool included = _includeAll ||
                        (facts.User is not null && _includeUsers.Contains(facts.User)) ||
                        (_includeGroups.Count > 0 && CompiledAccessPolicy.AnyIn(facts.Groups, _includeGroups));
        if (!included)
        {
            return $"{who} is not included";
        }

        if (facts.User is not null && _excludeUsers.Contains(facts.User))
        {
            return $"{who} is excluded";
        }

        foreach (string group in facts.Groups)
        {
            if (_excludeGroups.Contains(group))
            {
                return $"{who} is excluded through group '{group}'";
            }
        }

        if (_apps is not null && !_apps.Contains(facts.App))
        {
            return $"app '{facts.App}' is not in scope";
        }

        bool typeInScope = facts.ClientAppType == ClientAppType.Browser ? _browser : _mobileAndDesktop;
        return typeInScope ? null : $"client app type {facts.ClientAppType} is not in scope";
    }
}
