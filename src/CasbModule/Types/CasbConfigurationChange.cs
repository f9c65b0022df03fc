using CasbCore;
using CasbCore.Catalogs;

namespace CasbModule.Types;

public enum CasbChangeKind
{
    Added,
    Updated,
    Removed,
}

/// <summary>One item Import-CasbConfiguration added, updated or removed.</summary>
public sealed class CasbConfigurationChange
{
    internal CasbConfigurationChange(ConfigurationChange change)
    {
        ItemType = DisplayText.Safe(change.ItemType);
        Name = DisplayText.Safe(change.Name);
        ExactName = change.Name;
        Change = change.Change switch
        {
            ConfigurationChangeKind.Added => CasbChangeKind.Added,
            ConfigurationChangeKind.Updated => CasbChangeKind.Updated,
            _ => CasbChangeKind.Removed,
        };
    }

    /// <summary>App, Group, ConditionalAccessPolicy, AccessPolicy, SessionPolicy, TrustedRoot, RevocationList or Settings.</summary>
    public string ItemType { get; }

    /// <summary>The item's name (thumbprint for trusted roots, id for revocation lists).</summary>
    public string Name { get; }

    public CasbChangeKind Change { get; }

    /// <summary>The item's name as in the file, for the import that applies the change (Name is made safe to display).</summary>
    internal string ExactName { get; }
}
