using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore.Catalogs;

/// <summary>
/// Every kind of item in the configuration, in the order an import plans them (what a policy refers to comes
/// before the policy). A new noun is registered here once: Export/Import, the validator's name and reference
/// checks, and the app and group cascades then know it.
/// </summary>
public static class ConfigurationItems
{
    internal static ConfigurationItemKind<TrustedRootEntry> TrustedRoots { get; } =
        new("TrustedRoot", "trusted root", c => c.TrustedRoots, r => r.Thumbprint);

    internal static ConfigurationItemKind<RevocationListEntry> RevocationLists { get; } =
        new("RevocationList", "revocation list", c => c.RevocationLists, r => r.Id);

    /// <summary>At most one; the apps that sign users in use it, so it comes before them. Its secret stays in the store's secrets.</summary>
    internal static IdentityProviderItemKind IdentityProvider { get; } = new();

    internal static ConfigurationItemKind<AppEntry> Apps { get; } =
        new("App", "app", c => c.Apps, a => a.Name) { Named = true };

    internal static ConfigurationItemKind<GroupEntry> Groups { get; } =
        new("Group", "group", c => c.Groups, g => g.Name) { Named = true, Members = g => g.Members };

    internal static ConfigurationItemKind<ConditionalAccessPolicyEntry> ConditionalAccessPolicies { get; } =
        new("ConditionalAccessPolicy", "conditional access policy", c => c.ConditionalAccessPolicies, p => p.Name)
        {
            Named = true,
            Apps = p => p.Apps,
            GroupLists = p => [p.IncludeGroups, p.ExcludeGroups],
            IncludeUsers = p => p.IncludeUsers,
            ExcludeUsers = p => p.ExcludeUsers,
            TurnOff = p => p.State = ConditionalAccessState.Off,
            Touch = (p, now) => p.ModifiedAt = now,
        };

    internal static ConfigurationItemKind<AccessPolicyEntry> AccessPolicies { get; } =
        new("AccessPolicy", "access policy", c => c.AccessPolicies, p => p.Name)
        {
            Named = true,
            Apps = p => p.Apps,
            GroupLists = p => [p.Groups, p.ExcludeGroups],
            IncludeUsers = p => p.Users,
            ExcludeUsers = p => p.ExcludeUsers,
            TurnOff = p => p.Enabled = false,
            Touch = (p, now) => p.ModifiedAt = now,
            Check = (p, what, add) => CheckFilters(p.IPRanges, p.DeviceTags, what, add),
        };

    internal static ConfigurationItemKind<SessionPolicyEntry> SessionPolicies { get; } =
        new("SessionPolicy", "session policy", c => c.SessionPolicies, p => p.Name)
        {
            Named = true,
            Apps = p => p.Apps,
            GroupLists = p => [p.Groups, p.ExcludeGroups],
            IncludeUsers = p => p.Users,
            ExcludeUsers = p => p.ExcludeUsers,
            TurnOff = p => p.Enabled = false,
            Touch = (p, now) => p.ModifiedAt = now,
            Check = (p, what, add) =>
            {
                CheckFilters(p.IPRanges, p.DeviceTags, what, add);
                foreach (string extension in p.FileExtensions)
                {
                    if (ConfigurationInput.FileExtensionProblem(extension) is { } problem)
                    {
                        add("InvalidFileExtension", $"{what}: the file extension '{extension}' is invalid: {problem}.");
                    }
                }

                if (p.MinFileSizeMB is < 0)
                {
                    add("InvalidFileSize", $"{what}: the minimum file size {p.MinFileSizeMB} MB is negative.");
                }

                if (p.ControlType == SessionControlType.MonitorOnly && p.Action == SessionPolicyAction.Block)
                {
                    add(SessionPolicyCatalog.MonitorOnlyCannotBlockErrorId, $"{what}: a MonitorOnly policy cannot block.");
                }
            },
        };

    /// <summary>All kinds, in import order.</summary>
    public static IReadOnlyList<ConfigurationItemKind> All { get; } =
        [TrustedRoots, RevocationLists, IdentityProvider, Apps, Groups, ConditionalAccessPolicies, AccessPolicies, SessionPolicies];

    /// <summary>The kind with this <see cref="ConfigurationItemKind.Type"/>, or null.</summary>
    public static ConfigurationItemKind? Find(string type) => All.FirstOrDefault(k => k.Type == type);

    /// <summary>The IP-range and device-tag filters a policy carries must parse, as the engine compiles them.</summary>
    internal static void CheckFilters(IEnumerable<string> ranges, IEnumerable<string> tags, string what, Action<string, string> add)
    {
        foreach (string range in ranges)
        {
            if (!IPRanges.TryParse(range, out _, out string? error))
            {
                add("InvalidIPRange", $"{what}: the IP range '{range}' is invalid: {error}.");
            }
        }

        foreach (string tag in tags)
        {
            if (tag is null || Certificates.DeviceTags.Normalize(tag) is null)
            {
                add("UnknownDeviceTag",
                    $"{what}: the device tag '{tag}' is not known (known: {string.Join(", ", Certificates.DeviceTags.Known.Select(k => $"'{k}'"))}).");
            }
        }
    }
}
