namespace CasbCore.Policies;

/// <summary>A user name the configuration mentions, with its id and its groups (names and ids, configuration order).</summary>
internal sealed class CompiledPrincipal
{
    /// <summary>Anonymous, or a user no policy or group names: no id, no groups.</summary>
    public static readonly CompiledPrincipal Unknown = new(-1, [], []);

    public CompiledPrincipal(int id, string[] groups, int[] groupIds)
    {
        Id = id;
        Groups = groups;
        GroupIds = groupIds;
        // Handed to every decision for this user: read-only, so no caller can change the compiled revision.
        GroupsView = groups.Length == 0 ? Array.Empty<string>() : Array.AsReadOnly(groups);
    }

    public int Id { get; }

    public string[] Groups { get; }

    public int[] GroupIds { get; }

    public IReadOnlyList<string> GroupsView { get; }
}
