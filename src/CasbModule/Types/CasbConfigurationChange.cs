using CasbCore;
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
    internal CasbConfigurationChange(string itemType, string name, CasbChangeKind change)
    {
        ItemType = DisplayText.Safe(itemType);
        Name = DisplayText.Safe(name);
        ExactName = name;
        Change = change;
    }

    /// <summary>App, Group, ConditionalAccessPolicy, AccessPolicy, TrustedRoot, RevocationList or Settings.</summary>
    public string ItemType { get; }

    /// <summary>The item's name (thumbprint for trusted roots, id for revocation lists).</summary>
    public string Name { get; }

    public CasbChangeKind Change { get; }

    /// <summary>The item's name as in the file, for the import that applies the change (Name is made safe to display).</summary>
    internal string ExactName { get; }
}
