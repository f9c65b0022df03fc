using CasbCore.Model;

namespace CasbCore.Catalogs;

/// <summary>What Set-CasbAccessPolicy changes; a null property stays as it is, a list replaces the list.</summary>
public sealed record AccessPolicyChange : FilterPolicyChange
{
    public AccessPolicyAction? Action { get; init; }

    public IReadOnlyList<string>? UserAgentContains { get; init; }
}
