namespace CasbCore.Catalogs;

public enum ConfigurationChangeKind
{
    Added,
    Updated,
    Removed,
}

/// <summary>One item an import adds, updates or removes: its kind (<see cref="ConfigurationItemKind.Type"/>, or Settings) and its key.</summary>
public sealed record ConfigurationChange(string ItemType, string Name, ConfigurationChangeKind Change);
