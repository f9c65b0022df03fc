using CasbCore.Model;

namespace CasbCore.Catalogs;

/// <summary>What Set-CasbSessionPolicy changes; a null property stays as it is, a list replaces the list.</summary>
public sealed record SessionPolicyChange : FilterPolicyChange
{
    public SessionControlType? ControlType { get; init; }

    public SessionPolicyAction? Action { get; init; }

    /// <summary>File extensions; an empty list means every file.</summary>
    public IReadOnlyList<string>? FileExtensions { get; init; }

    /// <summary>A minimum size in MiB; -1 removes the filter.</summary>
    public int? MinFileSizeMB { get; init; }
}
