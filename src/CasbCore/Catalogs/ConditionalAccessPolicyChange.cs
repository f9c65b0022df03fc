using CasbCore.Model;

namespace CasbCore.Catalogs;

/// <summary>What Set-CasbConditionalAccessPolicy changes; a null property stays as it is, a list replaces the list.</summary>
public sealed record ConditionalAccessPolicyChange
{
    public string? NewName { get; init; }

    public ConditionalAccessState? State { get; init; }

    public IReadOnlyList<string>? IncludeUsers { get; init; }

    public IReadOnlyList<string>? IncludeGroups { get; init; }

    public IReadOnlyList<string>? ExcludeUsers { get; init; }

    public IReadOnlyList<string>? ExcludeGroups { get; init; }

    /// <summary>Apps in scope; an empty list means all apps.</summary>
    public IReadOnlyList<string>? Apps { get; init; }

    public IReadOnlyList<ClientAppType>? ClientAppTypes { get; init; }

    /// <summary>AppControl switches the policy to App Control (clearing a grant Block).</summary>
    public SessionControlKind? SessionControl { get; init; }

    public AppControlMode? AppControlMode { get; init; }

    /// <summary>Block switches the policy to blocking (clearing the App Control session control).</summary>
    public GrantControl? Grant { get; init; }
}
