using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore.Catalogs;

/// <summary>
/// The conditional-access policies (the Entra layer): creating, changing and removing them, with users and
/// groups, apps and client app types normalized and resolved against the store. Works inside a store update.
/// </summary>
public static class ConditionalAccessPolicyCatalog
{
    public const string NotFoundErrorId = "PolicyNotFound";
    public const string ExistsErrorId = "PolicyExists";
    public const string ConflictingControlsErrorId = "ConflictingControls";

    public static ConditionalAccessPolicyEntry? Find(CasbConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return ConfigurationItems.ConditionalAccessPolicies.Find(configuration, name);
    }

    public static ConditionalAccessPolicyEntry Get(CasbConfiguration configuration, string name) =>
        Find(configuration, name) ?? throw NotFound(name);

    public static CasbException NotFound(string name) =>
        new(NotFoundErrorId, CasbErrorKind.ObjectNotFound, $"The conditional-access policy '{name}' is not in the store.", name);

    /// <summary>Normalizes the fields of a new policy that need no store (name, users, client app types).</summary>
    public static ConditionalAccessPolicyEntry Prepare(ConditionalAccessPolicyEntry policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Name = ItemNames.Normalize(policy.Name, "policy");
        policy.IncludeUsers = ConfigurationInput.IncludeUsers(policy.IncludeUsers);
        policy.ExcludeUsers = ConfigurationInput.ExcludeUsers(policy.ExcludeUsers);
        policy.ClientAppTypes = policy.ClientAppTypes.Distinct().ToList();
        return policy;
    }

    /// <summary>True when the policy includes no user and no group, so it applies to nobody.</summary>
    public static bool IncludesNobody(ConditionalAccessPolicyEntry policy) =>
        policy.IncludeUsers.Count == 0 && policy.IncludeGroups.Count == 0;

    /// <summary>Normalizes a change's fields that need no store; ConflictingControls for App Control and Block together.</summary>
    public static ConditionalAccessPolicyChange Prepare(ConditionalAccessPolicyChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.SessionControl is not null && change.Grant is not null)
        {
            throw new CasbException(
                ConflictingControlsErrorId, CasbErrorKind.InvalidArgument,
                "A conditional-access policy has either -SessionControl AppControl or -Grant Block, not both.");
        }

        return change with
        {
            NewName = change.NewName is null ? null : ItemNames.Normalize(change.NewName, "policy"),
            IncludeUsers = change.IncludeUsers is null ? null : ConfigurationInput.IncludeUsers(change.IncludeUsers),
            ExcludeUsers = change.ExcludeUsers is null ? null : ConfigurationInput.ExcludeUsers(change.ExcludeUsers),
            ClientAppTypes = change.ClientAppTypes?.Distinct().ToList(),
        };
    }

    /// <summary>Adds a policy; PolicyExists when the name is taken, UnknownApp or UnknownGroup for a name not in the store.</summary>
    public static ConditionalAccessPolicyEntry Add(CasbConfiguration configuration, ConditionalAccessPolicyEntry policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Prepare(policy);
        if (Find(configuration, policy.Name) is not null)
        {
            throw new CasbException(
                ExistsErrorId, CasbErrorKind.ResourceExists,
                $"A conditional-access policy named '{policy.Name}' is already in the store. Use Set-CasbConditionalAccessPolicy to change it.", policy.Name);
        }

        policy.Apps = ConfigurationInput.Apps(configuration, policy.Apps, policy.Name);
        policy.IncludeGroups = ConfigurationInput.Groups(configuration, policy.IncludeGroups, policy.Name);
        policy.ExcludeGroups = ConfigurationInput.Groups(configuration, policy.ExcludeGroups, policy.Name);
        policy.CreatedAt = policy.ModifiedAt = now;
        configuration.ConditionalAccessPolicies.Add(policy);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    public static ConditionalAccessPolicyEntry Change(CasbConfiguration configuration, string name, ConditionalAccessPolicyChange change, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        change = Prepare(change);
        ConditionalAccessPolicyEntry policy = Get(configuration, name);
        if (change.NewName is { } newName && !ItemNames.IsSame(newName, policy.Name) && Find(configuration, newName) is not null)
        {
            throw new CasbException(
                ExistsErrorId, CasbErrorKind.ResourceExists,
                $"Cannot rename '{policy.Name}': a conditional-access policy named '{newName}' is already in the store.", newName);
        }

        policy.Name = change.NewName ?? policy.Name;
        policy.State = change.State ?? policy.State;
        policy.IncludeUsers = change.IncludeUsers?.ToList() ?? policy.IncludeUsers;
        policy.ExcludeUsers = change.ExcludeUsers?.ToList() ?? policy.ExcludeUsers;
        policy.IncludeGroups = change.IncludeGroups is null ? policy.IncludeGroups : ConfigurationInput.Groups(configuration, change.IncludeGroups, policy.Name);
        policy.ExcludeGroups = change.ExcludeGroups is null ? policy.ExcludeGroups : ConfigurationInput.Groups(configuration, change.ExcludeGroups, policy.Name);
        policy.Apps = change.Apps is null ? policy.Apps : ConfigurationInput.Apps(configuration, change.Apps, policy.Name);
        policy.ClientAppTypes = change.ClientAppTypes?.ToList() ?? policy.ClientAppTypes;
        if (change.SessionControl is { } sessionControl)
        {
            policy.SessionControl = sessionControl;
            if (sessionControl == SessionControlKind.AppControl)
            {
                policy.Grant = GrantControl.None;
            }
        }

        if (change.Grant is { } grant)
        {
            policy.Grant = grant;
            if (grant == GrantControl.Block)
            {
                policy.SessionControl = SessionControlKind.None;
            }
        }

        policy.AppControlMode = change.AppControlMode ?? policy.AppControlMode;
        policy.ModifiedAt = now;
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    public static ConditionalAccessPolicyEntry Remove(CasbConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ConditionalAccessPolicyEntry policy = Get(configuration, name);
        configuration.ConditionalAccessPolicies.Remove(policy);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }
}
