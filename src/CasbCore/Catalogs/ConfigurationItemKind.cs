using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore.Catalogs;

/// <summary>
/// One kind of item in the configuration (a noun: app, group, a kind of policy, trusted root, CRL, the identity provider), registered
/// once in <see cref="ConfigurationItems"/>. The registration is what Export/Import, the validator and the
/// app and group cascades know about the kind, so a new noun is added in one place.
/// </summary>
public abstract class ConfigurationItemKind
{
    private protected ConfigurationItemKind(string type, string display)
    {
        Type = type;
        Display = display;
    }

    /// <summary>The name of the kind in Import-CasbConfiguration's output (AccessPolicy).</summary>
    public string Type { get; }

    /// <summary>The kind in words (access policy).</summary>
    public string Display { get; }

    /// <summary>True for items with a name unique ignoring case (apps, groups, policies); trusted roots and CRLs have keys instead.</summary>
    public abstract bool IsNamed { get; }

    /// <summary>The keys (names, thumbprints, ids) of the items of this kind, in store order.</summary>
    public abstract IEnumerable<string> Keys(CasbConfiguration configuration);

    internal abstract IEnumerable<ConfigurationChange> Plan(CasbConfiguration current, CasbConfiguration imported, bool replace);

    /// <summary>Applies one planned change from <paramref name="source"/> (the file, and the store's secrets for an item that has one).</summary>
    internal abstract void Apply(CasbConfiguration configuration, ImportSource source, ConfigurationChange change);

    /// <summary>Why a file's list of this kind cannot be imported (a blank or repeated key), or null.</summary>
    internal abstract string? FindKeyProblem(CasbConfiguration imported);

    /// <summary>The items that name the app.</summary>
    internal abstract IEnumerable<string> UsingApp(CasbConfiguration configuration, string app);

    /// <summary>The items that include or exclude the group.</summary>
    internal abstract IEnumerable<string> UsingGroup(CasbConfiguration configuration, string group);

    /// <summary>Takes the app out of every item naming it; returns the items left with no app, which are turned off.</summary>
    internal abstract IReadOnlyList<string> RemoveApp(CasbConfiguration configuration, string app, DateTimeOffset now);

    internal abstract void RenameApp(CasbConfiguration configuration, string oldName, string newName);

    /// <summary>Adds the problems of the items of this kind (references, filters) to <paramref name="problems"/>.</summary>
    internal abstract void Validate(CasbConfiguration configuration, HashSet<string> apps, HashSet<string> groups, List<ConfigurationProblem> problems);

    /// <summary>"Access policy 'X'": how the validator names an item.</summary>
    internal string Describe(string key) => $"{char.ToUpperInvariant(Display[0])}{Display[1..]} '{key}'";
}
