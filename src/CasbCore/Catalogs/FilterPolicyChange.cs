using CasbCore.Model;

namespace CasbCore.Catalogs;

/// <summary>What Set-CasbAccessPolicy and Set-CasbSessionPolicy change alike; a null property stays as it is, a list replaces the list.</summary>
public abstract record FilterPolicyChange
{
    public string? NewName { get; init; }

    /// <summary>The block page text; an empty string removes it.</summary>
    public string? BlockMessage { get; init; }

    /// <summary>A note for admins; an empty string removes it.</summary>
    public string? Description { get; init; }

    /// <summary>Apps; an empty list means all apps.</summary>
    public IReadOnlyList<string>? Apps { get; init; }

    public IReadOnlyList<string>? DeviceTags { get; init; }

    public FilterOperator? DeviceTagOperator { get; init; }

    public IReadOnlyList<string>? Users { get; init; }

    public IReadOnlyList<string>? Groups { get; init; }

    public IReadOnlyList<string>? ExcludeUsers { get; init; }

    public IReadOnlyList<string>? ExcludeGroups { get; init; }

    public AccessPolicyClientApp? ClientApp { get; init; }

    public IReadOnlyList<string>? IPRanges { get; init; }

    public IPRangeOperator? IPRangeOperator { get; init; }

    public PolicySeverity? Severity { get; init; }
}
