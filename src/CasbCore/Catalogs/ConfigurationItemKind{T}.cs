using System.Text.Json;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;

namespace CasbCore.Catalogs;

/// <summary>A <see cref="ConfigurationItemKind"/> over the list of <typeparamref name="T"/> entries in the configuration.</summary>
internal sealed class ConfigurationItemKind<T>(string type, string display, Func<CasbConfiguration, List<T>> list, Func<T, string> key)
    : ConfigurationItemKind(type, display)
    where T : class
{
    /// <summary>Names unique ignoring case (validated as DuplicateName and InvalidName).</summary>
    public bool Named { get; init; }

    /// <summary>A policy's app list (empty means all apps).</summary>
    public Func<T, List<string>>? Apps { get; init; }

    /// <summary>A policy's group lists (included and excluded).</summary>
    public Func<T, IEnumerable<List<string>>>? GroupLists { get; init; }

    /// <summary>Turns a policy off (an empty app list would mean all apps: off keeps it from widening).</summary>
    public Action<T>? TurnOff { get; init; }

    /// <summary>Stamps a policy as modified.</summary>
    public Action<T, DateTimeOffset>? Touch { get; init; }

    /// <summary>The users a policy includes, when it has any: never a blank name, as the cmdlets refuse one.</summary>
    public Func<T, List<string>>? IncludeUsers { get; init; }

    /// <summary>The users a policy excludes, when it has any: never a blank name, never "All" (<see cref="ConfigurationInput.ExcludeUsers"/>).</summary>
    public Func<T, List<string>>? ExcludeUsers { get; init; }

    /// <summary>A group's members, when the kind has any: user names with no control character (<see cref="ItemNames.CharacterProblem"/>).</summary>
    public Func<T, List<string>>? Members { get; init; }

    /// <summary>Further checks of one item (filters that must parse); adds (error id, message) pairs.</summary>
    public Action<T, string, Action<string, string>>? Check { get; init; }

    public override bool IsNamed => Named;

    public List<T> ListOf(CasbConfiguration configuration) => list(configuration);

    public string KeyOf(T item) => key(item);

    public T? Find(CasbConfiguration configuration, string name) =>
        list(configuration).FirstOrDefault(item => ItemNames.IsSame(key(item), name));

    public override IEnumerable<string> Keys(CasbConfiguration configuration) => list(configuration).Select(key);

    internal override IEnumerable<ConfigurationChange> Plan(CasbConfiguration current, CasbConfiguration imported, bool replace)
    {
        List<T> existing = list(current);
        List<T> incoming = list(imported);
        foreach (T item in incoming)
        {
            T? match = existing.FirstOrDefault(e => ItemNames.IsSame(key(e), key(item)));
            if (match is null)
            {
                yield return new ConfigurationChange(Type, key(item), ConfigurationChangeKind.Added);
            }
            else if (!SameJson(match, item))
            {
                yield return new ConfigurationChange(Type, key(item), ConfigurationChangeKind.Updated);
            }
        }

        if (replace)
        {
            foreach (T item in existing.Where(e => !incoming.Any(i => ItemNames.IsSame(key(i), key(e)))))
            {
                yield return new ConfigurationChange(Type, key(item), ConfigurationChangeKind.Removed);
            }
        }
    }

    internal override void Apply(CasbConfiguration configuration, ImportSource source, ConfigurationChange change)
    {
        CasbConfiguration imported = source.Configuration;
        List<T> items = list(configuration);
        int index = items.FindIndex(e => ItemNames.IsSame(key(e), change.Name));
        if (change.Change == ConfigurationChangeKind.Removed)
        {
            if (index >= 0)
            {
                items.RemoveAt(index);
            }

            return;
        }

        T incoming = list(imported).First(i => ItemNames.IsSame(key(i), change.Name));
        if (index >= 0)
        {
            items[index] = incoming;
        }
        else
        {
            items.Add(incoming);
        }
    }

    internal override string? FindKeyProblem(CasbConfiguration imported)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (T item in list(imported))
        {
            string name = key(item);
            if (string.IsNullOrWhiteSpace(name))
            {
                return $"a {Display} has no name.";
            }

            if (!seen.Add(name))
            {
                return $"the {Display} '{name}' appears twice.";
            }
        }

        return null;
    }

    internal override IEnumerable<string> UsingApp(CasbConfiguration configuration, string app) =>
        Apps is null ? [] : list(configuration).Where(item => Apps(item).Any(a => ItemNames.IsSame(a, app))).Select(key);

    internal override IEnumerable<string> UsingGroup(CasbConfiguration configuration, string group) =>
        GroupLists is null
            ? []
            : list(configuration).Where(item => GroupLists(item).Any(groups => groups.Any(g => ItemNames.IsSame(g, group)))).Select(key);

    internal override IReadOnlyList<string> RemoveApp(CasbConfiguration configuration, string app, DateTimeOffset now)
    {
        var turnedOff = new List<string>();
        if (Apps is null)
        {
            return turnedOff;
        }

        foreach (T item in list(configuration))
        {
            List<string> apps = Apps(item);
            if (apps.RemoveAll(a => ItemNames.IsSame(a, app)) == 0)
            {
                continue;
            }

            Touch?.Invoke(item, now);
            if (apps.Count == 0)
            {
                TurnOff?.Invoke(item);
                turnedOff.Add(key(item));
            }
        }

        return turnedOff;
    }

    internal override void RenameApp(CasbConfiguration configuration, string oldName, string newName)
    {
        if (Apps is null)
        {
            return;
        }

        foreach (T item in list(configuration))
        {
            List<string> apps = Apps(item);
            for (int i = 0; i < apps.Count; i++)
            {
                if (ItemNames.IsSame(apps[i], oldName))
                {
                    apps[i] = newName;
                }
            }
        }
    }

    internal override void Validate(CasbConfiguration configuration, HashSet<string> apps, HashSet<string> groups, List<ConfigurationProblem> problems)
    {
        foreach (T item in list(configuration))
        {
            string name = key(item);
            string what = Describe(name);
            void Add(string id, string message) => problems.Add(new ConfigurationProblem(id, name, message));
            if (Apps is not null)
            {
                foreach (string app in Apps(item).Where(a => !apps.Contains(a)))
                {
                    Add("UnknownApp", $"{what} refers to app '{app}', which does not exist.");
                }
            }

            if (GroupLists is not null)
            {
                foreach (string group in GroupLists(item).SelectMany(g => g).Where(g => !groups.Contains(g)))
                {
                    Add("UnknownGroup", $"{what} refers to group '{group}', which does not exist.");
                }
            }

            // A blank name is no user: among an access policy's users the engine reads it as no limit at all, everyone.
            if ((IncludeUsers?.Invoke(item) ?? []).Concat(ExcludeUsers?.Invoke(item) ?? []).Any(string.IsNullOrWhiteSpace))
            {
                Add(ConfigurationInput.InvalidUserErrorId, $"{what} has an empty user name.");
            }

            // The rule ConfigurationInput.Users applies to what a cmdlet brings, for a file or a hand-edited store: the gateway agrees.
            foreach (string user in (IncludeUsers?.Invoke(item) ?? []).Concat(ExcludeUsers?.Invoke(item) ?? []).Concat(Members?.Invoke(item) ?? []))
            {
                if (user is not null && ItemNames.CharacterProblem(user) is { } unfit)
                {
                    problems.Add(new ConfigurationProblem(ItemNames.InvalidNameErrorId, name,
                        $"{what}: the user name '{ItemNames.SafeName(user)}' is refused: {unfit}.", CasbErrorKind.InvalidArgument));
                }
            }

            if (ExcludeUsers is not null && ExcludeUsers(item).Any(CompiledConditionalAccessPolicy.IsAllUsers))
            {
                Add(ConfigurationInput.InvalidUserErrorId, $"{what} {ConfigurationInput.ExcludesEveryone}");
            }

            Check?.Invoke(item, what, Add);
            ConfigurationValidator.CheckEnumValues(item, name, what, problems);
        }
    }

    private static bool SameJson(T a, T b) =>
        JsonSerializer.Serialize(a, CasbStore.SerializerOptions) == JsonSerializer.Serialize(b, CasbStore.SerializerOptions);
}
