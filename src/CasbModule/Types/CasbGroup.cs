using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>A named set of user names, referenced by conditional-access and access policies.</summary>
public sealed class CasbGroup
{
    internal CasbGroup(GroupEntry entry, string storePath)
    {
        Name = entry.Name;
        Description = entry.Description;
        Members = entry.Members.ToArray();
        CreatedAt = entry.CreatedAt;
        StorePath = storePath;
    }

    public string Name { get; }

    public string? Description { get; }

    public string[] Members { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>The store the group was read from, so that a piped object is changed in the same store.</summary>
    public string StorePath { get; }

    public override string ToString() => Name;
}
