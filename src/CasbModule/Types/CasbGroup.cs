using CasbCore;
using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>A named set of user names, referenced by conditional-access and access policies.</summary>
public sealed class CasbGroup
{
    internal CasbGroup(GroupEntry entry, string storePath)
    {
        Name = DisplayText.Safe(entry.Name);
        Description = DisplayText.Safe(entry.Description);
        Members = DisplayText.SafeAll(entry.Members);
        CreatedAt = entry.CreatedAt;
        StorePath = DisplayText.Safe(storePath);
        ExactName = entry.Name;
        ExactStorePath = storePath;
    }

    public string Name { get; }

    public string? Description { get; }

    public string[] Members { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>The store the group was read from, so that a piped object is changed in the same store.</summary>
    public string StorePath { get; }

    /// <summary>The name as stored, for the cmdlets that find a piped item again (Name is made safe to display).</summary>
    internal string ExactName { get; }

    /// <summary>The store path as given, for the cmdlets that change a piped item in its own store.</summary>
    internal string ExactStorePath { get; }

    public override string ToString() => Name;
}
