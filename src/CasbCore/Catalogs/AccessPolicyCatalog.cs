using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore.Catalogs;

/// <summary>
/// The access policies (the App Control layer): creating, changing, enabling, disabling and removing them, with
/// device tags, IP ranges and users normalized and apps and groups resolved against the store. Works inside a
/// store update.
/// </summary>
public static class AccessPolicyCatalog
{
    public const string NotFoundErrorId = "PolicyNotFound";
    public const string ExistsErrorId = "PolicyExists";

    public static AccessPolicyEntry? Find(CasbConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return ConfigurationItems.AccessPolicies.Find(configuration, name);
    }

    public static AccessPolicyEntry Get(CasbConfiguration configuration, string name) => Find(configuration, name) ?? throw NotFound(name);

    public static CasbException NotFound(string name) =>
        new(NotFoundErrorId, CasbErrorKind.ObjectNotFound, $"The access policy '{name}' is not in the store.", name);

    /// <summary>Normalizes the fields of a new policy that need no store (UnknownDeviceTag, InvalidIPRange, InvalidUser).</summary>
    public static AccessPolicyEntry Prepare(AccessPolicyEntry policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Name = ItemNames.Normalize(policy.Name, "policy");
        policy.DeviceTags = ConfigurationInput.DeviceTags(policy.DeviceTags);
        policy.IPRanges = ConfigurationInput.IPRanges(policy.IPRanges);
        policy.Users = ConfigurationInput.Users(policy.Users);
        policy.ExcludeUsers = ConfigurationInput.Users(policy.ExcludeUsers);
        policy.UserAgentContains = ConfigurationInput.UserAgentFragments(policy.UserAgentContains);
        return policy;
    }

    public static AccessPolicyChange Prepare(AccessPolicyChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change with
        {
            NewName = change.NewName is null ? null : ItemNames.Normalize(change.NewName, "policy"),
            DeviceTags = change.DeviceTags is null ? null : ConfigurationInput.DeviceTags(change.DeviceTags),
            IPRanges = change.IPRanges is null ? null : ConfigurationInput.IPRanges(change.IPRanges),
            Users = change.Users is null ? null : ConfigurationInput.Users(change.Users),
            ExcludeUsers = change.ExcludeUsers is null ? null : ConfigurationInput.Users(change.ExcludeUsers),
            UserAgentContains = change.UserAgentContains is null ? null : ConfigurationInput.UserAgentFragments(change.UserAgentContains),
        };
    }

    /// <summary>Adds a policy; PolicyExists when the name is taken, UnknownApp or UnknownGroup for a name not in the store.</summary>
    public static AccessPolicyEntry Add(CasbConfiguration configuration, AccessPolicyEntry policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Prepare(policy);
        if (Find(configuration, policy.Name) is not null)
        {
            throw new CasbException(
                ExistsErrorId, CasbErrorKind.ResourceExists,
                $"An access policy named '{policy.Name}' is already in the store. Use Set-CasbAccessPolicy to change it.", policy.Name);
        }

        policy.Apps = ConfigurationInput.Apps(configuration, policy.Apps, policy.Name);
        policy.Groups = ConfigurationInput.Groups(configuration, policy.Groups, policy.Name);
        policy.ExcludeGroups = ConfigurationInput.Groups(configuration, policy.ExcludeGroups, policy.Name);
        policy.CreatedAt = policy.ModifiedAt = now;
        configuration.AccessPolicies.Add(policy);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    public static AccessPolicyEntry Change(CasbConfiguration configuration, string name, AccessPolicyChange change, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        change = Prepare(change);
        AccessPolicyEntry policy = Get(configuration, name);
        if (change.NewName is { } newName && !ItemNames.IsSame(newName, policy.Name) && Find(configuration, newName) is not null)
        {
            throw new CasbException(
                ExistsErrorId, CasbErrorKind.ResourceExists,
                $"Cannot rename '{policy.Name}': an access policy named '{newName}' is already in the store.", newName);
        }

        policy.Name = change.NewName ?? policy.Name;
        policy.Action = change.Action ?? policy.Action;
        policy.BlockMessage = change.BlockMessage is null ? policy.BlockMessage : change.BlockMessage.Length == 0 ? null : change.BlockMessage;
        policy.Description = change.Description is null ? policy.Description : change.Description.Length == 0 ? null : change.Description;
        policy.Apps = change.Apps is null ? policy.Apps : ConfigurationInput.Apps(configuration, change.Apps, policy.Name);
        policy.DeviceTags = change.DeviceTags?.ToList() ?? policy.DeviceTags;
        policy.DeviceTagOperator = change.DeviceTagOperator ?? policy.DeviceTagOperator;
        policy.Users = change.Users?.ToList() ?? policy.Users;
        policy.ExcludeUsers = change.ExcludeUsers?.ToList() ?? policy.ExcludeUsers;
        policy.Groups = change.Groups is null ? policy.Groups : ConfigurationInput.Groups(configuration, change.Groups, policy.Name);
        policy.ExcludeGroups = change.ExcludeGroups is null ? policy.ExcludeGroups : ConfigurationInput.Groups(configuration, change.ExcludeGroups, policy.Name);
        policy.ClientApp = change.ClientApp ?? policy.ClientApp;
        policy.IPRanges = change.IPRanges?.ToList() ?? policy.IPRanges;
        policy.IPRangeOperator = change.IPRangeOperator ?? policy.IPRangeOperator;
        policy.UserAgentContains = change.UserAgentContains?.ToList() ?? policy.UserAgentContains;
        policy.Severity = change.Severity ?? policy.Severity;
        policy.ModifiedAt = now;
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    /// <summary>Turns a policy on or off; one already so is left as it is (no new revision).</summary>
    public static AccessPolicyEntry SetEnabled(CasbConfiguration configuration, string name, bool enabled, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        AccessPolicyEntry policy = Get(configuration, name);
        if (policy.Enabled != enabled)
        {
            policy.Enabled = enabled;
            policy.ModifiedAt = now;
        }

        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    public static AccessPolicyEntry Remove(CasbConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        AccessPolicyEntry policy = Get(configuration, name);
        configuration.AccessPolicies.Remove(policy);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }
}
