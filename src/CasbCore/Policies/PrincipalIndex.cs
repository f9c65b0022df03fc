namespace CasbCore.Policies;

/// <summary>
/// Gives every user and group name a configuration mentions a small integer, once per revision, so that the
/// per-request include/exclude checks compare integers instead of hashing strings case-insensitively.
/// </summary>
internal sealed class PrincipalIndex
{
    private readonly Dictionary<string, int> _users = new(SignIn.UserNames.Comparer);
    private readonly Dictionary<string, int> _groups = new(Catalogs.ItemNames.Comparer); // group names are item names
    private readonly Dictionary<int, List<(string Name, int Id)>> _memberships = new();

    /// <summary>Records that <paramref name="user"/> is a member of a group (configuration order; a group once).</summary>
    public void AddMember(string user, string groupName, int groupId)
    {
        int userId = AddUser(user);
        if (!_memberships.TryGetValue(userId, out List<(string Name, int Id)>? groups))
        {
            _memberships[userId] = groups = new List<(string, int)>();
        }

        if (!groups.Exists(g => g.Id == groupId))
        {
            groups.Add((groupName, groupId));
        }
    }

    /// <summary>
    /// Every user name seen so far, with its id and groups: the one lookup a request makes for its user. Call after
    /// every policy has been compiled, so that users only policies name get their ids too.
    /// </summary>
    public Dictionary<string, CompiledPrincipal> BuildLookup()
    {
        var lookup = new Dictionary<string, CompiledPrincipal>(_users.Count, SignIn.UserNames.Comparer);
        foreach ((string name, int id) in _users)
        {
            lookup[name] = _memberships.TryGetValue(id, out List<(string Name, int Id)>? groups)
                ? new CompiledPrincipal(id, groups.Select(g => g.Name).ToArray(), groups.Select(g => g.Id).ToArray())
                : new CompiledPrincipal(id, [], []);
        }

        return lookup;
    }

    /// <summary>The id of a user name, adding it when new (compile time only).</summary>
    public int AddUser(string name)
    {
        string key = SignIn.UserNames.Canonical(name);
        if (!_users.TryGetValue(key, out int id))
        {
            _users[key] = id = _users.Count;
        }

        return id;
    }

    public int AddGroup(string name)
    {
        string key = SignIn.UserNames.Canonical(name);
        if (!_groups.TryGetValue(key, out int id))
        {
            _groups[key] = id = _groups.Count;
        }

        return id;
    }

    /// <summary>The id of a user, or -1 when the configuration never mentions the name.</summary>
    public int FindUser(string? name) => name is not null && _users.TryGetValue(name, out int id) ? id : -1;

    /// <summary>The id of a group, or -1 when the configuration never mentions the name.</summary>
    public int FindGroup(string? name) => name is not null && _groups.TryGetValue(SignIn.UserNames.Canonical(name), out int id) ? id : -1;

    /// <summary>Sorted, distinct ids of the non-blank user names.</summary>
    public int[] Users(IEnumerable<string> names) =>
        names.Where(n => !string.IsNullOrWhiteSpace(n)).Select(AddUser).Distinct().Order().ToArray();

    public int[] Groups(IEnumerable<string> names) =>
        names.Where(n => !string.IsNullOrWhiteSpace(n)).Select(AddGroup).Distinct().Order().ToArray();

    /// <summary>True when the sorted <paramref name="ids"/> contain <paramref name="id"/>.</summary>
    public static bool Contains(int[] ids, int id)
    {
        if (id < 0)
        {
            return false;
        }

        if (ids.Length <= 8)
        {
            foreach (int candidate in ids)
            {
                if (candidate == id)
                {
                    return true;
                }
            }

            return false;
        }

        return Array.BinarySearch(ids, id) >= 0;
    }

    /// <summary>True when any of <paramref name="ids"/> is in the sorted <paramref name="set"/>.</summary>
    public static bool ContainsAny(int[] set, int[] ids)
    {
        foreach (int id in ids)
        {
            if (Contains(set, id))
            {
                return true;
            }
        }

        return false;
    }
}
