using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore.Catalogs;

/// <summary>
/// The groups of users that policies include or exclude: creating, changing members, removing (refused while a
/// policy names the group: dropping it from an exclusion would widen the policy). Works inside a store update.
/// </summary>
public static class GroupCatalog
{
    public const string NotFoundErrorId = "GroupNotFound";
    public const string ExistsErrorId = "GroupExists";
    public const string InUseErrorId = "GroupInUse";

    public static GroupEntry? Find(CasbConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return ConfigurationItems.Groups.Find(configuration, name);
    }

    public static GroupEntry Get(CasbConfiguration configuration, string name) => Find(configuration, name) ?? throw NotFound(name);

    public static CasbException NotFound(string name) =>
        new(NotFoundErrorId, CasbErrorKind.ObjectNotFound, $"The group '{name}' is not in the store.", name);

    /// <summary>Normalizes a new group in place: its name, and its members (InvalidUser for an empty one).</summary>
    public static GroupEntry Prepare(GroupEntry group)
    {
        ArgumentNullException.ThrowIfNull(group);
        group.Name = ItemNames.Normalize(group.Name, "group");
        group.Members = ConfigurationInput.Users(group.Members);
        return group;
    }

    public static GroupEntry Add(CasbConfiguration configuration, GroupEntry group, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Prepare(group);
        if (Find(configuration, group.Name) is not null)
        {
            throw new CasbException(
                ExistsErrorId, CasbErrorKind.ResourceExists,
                $"A group named '{group.Name}' is already in the store. Use Add-CasbGroupMember to add members.", group.Name);
        }

        group.CreatedAt = now;
        configuration.Groups.Add(group);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return group;
    }

    /// <summary>Adds members; one already there (in any letter case) changes nothing.</summary>
    public static GroupEntry AddMembers(CasbConfiguration configuration, string name, IEnumerable<string> members)
    {
        GroupEntry group = Get(configuration, name);
        foreach (string member in ConfigurationInput.Users(members))
        {
            if (!group.Members.Any(m => ItemNames.IsSame(m, member)))
            {
                group.Members.Add(member);
            }
        }

        ConfigurationValidator.ThrowIfInvalid(configuration);
        return group;
    }

    /// <summary>Removes members, matching ignoring case; one not there changes nothing.</summary>
    public static GroupEntry RemoveMembers(CasbConfiguration configuration, string name, IEnumerable<string> members)
    {
        GroupEntry group = Get(configuration, name);
        List<string> leaving = ConfigurationInput.Users(members, refuseUnfit: false);
        group.Members.RemoveAll(m => leaving.Any(member => ItemNames.IsSame(m, member)));
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return group;
    }

    /// <summary>The names of the policies that include or exclude the group, in configuration order.</summary>
    public static IReadOnlyList<string> PoliciesUsing(CasbConfiguration configuration, string name) =>
        ConfigurationItems.All.SelectMany(kind => kind.UsingGroup(configuration, name)).ToList();

    /// <summary>Removes a group; GroupInUse while a policy includes or excludes it.</summary>
    public static GroupEntry Remove(CasbConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        GroupEntry group = Get(configuration, name);
        IReadOnlyList<string> users = PoliciesUsing(configuration, group.Name);
        if (users.Count > 0)
        {
            throw new CasbException(
                InUseErrorId, CasbErrorKind.InvalidOperation,
                $"The group '{group.Name}' is used by the policies {string.Join(", ", users.Select(u => $"'{u}'"))}. Remove it from them first.", group.Name);
        }

        configuration.Groups.Remove(group);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return group;
    }
}
