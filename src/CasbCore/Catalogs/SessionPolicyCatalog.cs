using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore.Catalogs;

/// <summary>
/// The session policies (downloads and uploads inside an allowed session): creating, changing, enabling, disabling
/// and removing them, with the access policies' filter rules plus file extensions and a minimum size. Works inside
/// a store update.
/// </summary>
public static class SessionPolicyCatalog
{
    public const string NotFoundErrorId = "PolicyNotFound";
    public const string ExistsErrorId = "PolicyExists";
    public const string MonitorOnlyCannotBlockErrorId = "MonitorOnlyCannotBlock";

    /// <summary>The value of <see cref="SessionPolicyChange.MinFileSizeMB"/> that removes the size filter.</summary>
    public const int AnySize = -1;

    public static SessionPolicyEntry? Find(CasbConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return ConfigurationItems.SessionPolicies.Find(configuration, name);
    }

    public static SessionPolicyEntry Get(CasbConfiguration configuration, string name) => Find(configuration, name) ?? throw NotFound(name);

    public static CasbException NotFound(string name) =>
        new(NotFoundErrorId, CasbErrorKind.ObjectNotFound, $"The session policy '{name}' is not in the store.", name);

    /// <summary>Normalizes the fields of a new policy that need no store (UnknownDeviceTag, InvalidIPRange, InvalidFileExtension, ...).</summary>
    public static SessionPolicyEntry Prepare(SessionPolicyEntry policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Name = ItemNames.Normalize(policy.Name, "policy");
        policy.DeviceTags = ConfigurationInput.DeviceTags(policy.DeviceTags);
        policy.IPRanges = ConfigurationInput.IPRanges(policy.IPRanges);
        policy.Users = ConfigurationInput.Users(policy.Users);
        policy.ExcludeUsers = ConfigurationInput.Users(policy.ExcludeUsers);
        policy.FileExtensions = ConfigurationInput.FileExtensions(policy.FileExtensions);
        policy.MinFileSizeMB = ConfigurationInput.MinFileSizeMB(policy.MinFileSizeMB);
        EnsureConsistent(policy.ControlType, policy.Action, policy.Name);
        return policy;
    }

    public static SessionPolicyChange Prepare(SessionPolicyChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change with
        {
            NewName = change.NewName is null ? null : ItemNames.Normalize(change.NewName, "policy"),
            DeviceTags = change.DeviceTags is null ? null : ConfigurationInput.DeviceTags(change.DeviceTags),
            IPRanges = change.IPRanges is null ? null : ConfigurationInput.IPRanges(change.IPRanges),
            Users = change.Users is null ? null : ConfigurationInput.Users(change.Users),
            ExcludeUsers = change.ExcludeUsers is null ? null : ConfigurationInput.Users(change.ExcludeUsers),
            FileExtensions = change.FileExtensions is null ? null : ConfigurationInput.FileExtensions(change.FileExtensions),
            MinFileSizeMB = change.MinFileSizeMB is AnySize ? AnySize : ConfigurationInput.MinFileSizeMB(change.MinFileSizeMB),
        };
    }

    /// <summary>Adds a policy; PolicyExists when the name is taken, UnknownApp or UnknownGroup for a name not in the store.</summary>
    public static SessionPolicyEntry Add(CasbConfiguration configuration, SessionPolicyEntry policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Prepare(policy);
        if (Find(configuration, policy.Name) is not null)
        {
            throw new CasbException(
                ExistsErrorId, CasbErrorKind.ResourceExists,
                $"A session policy named '{policy.Name}' is already in the store. Use Set-CasbSessionPolicy to change it.", policy.Name);
        }

        policy.Apps = ConfigurationInput.Apps(configuration, policy.Apps, policy.Name);
        policy.Groups = ConfigurationInput.Groups(configuration, policy.Groups, policy.Name);
        policy.ExcludeGroups = ConfigurationInput.Groups(configuration, policy.ExcludeGroups, policy.Name);
        policy.CreatedAt = policy.ModifiedAt = now;
        configuration.SessionPolicies.Add(policy);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    public static SessionPolicyEntry Change(CasbConfiguration configuration, string name, SessionPolicyChange change, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        change = Prepare(change);
        SessionPolicyEntry policy = Get(configuration, name);
        if (change.NewName is { } newName && !ItemNames.IsSame(newName, policy.Name) && Find(configuration, newName) is not null)
        {
            throw new CasbException(
                ExistsErrorId, CasbErrorKind.ResourceExists,
                $"Cannot rename '{policy.Name}': a session policy named '{newName}' is already in the store.", newName);
        }

        policy.Name = change.NewName ?? policy.Name;
        policy.ControlType = change.ControlType ?? policy.ControlType;
        policy.Action = change.Action ?? policy.Action;
        EnsureConsistent(policy.ControlType, policy.Action, policy.Name);
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
        policy.FileExtensions = change.FileExtensions?.ToList() ?? policy.FileExtensions;
        policy.MinFileSizeMB = change.MinFileSizeMB switch
        {
            null => policy.MinFileSizeMB,
            AnySize => null,
            int size => size,
        };
        policy.Severity = change.Severity ?? policy.Severity;
        policy.ModifiedAt = now;
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    /// <summary>Turns a policy on or off; one already so is left as it is (no new revision).</summary>
    public static SessionPolicyEntry SetEnabled(CasbConfiguration configuration, string name, bool enabled, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        SessionPolicyEntry policy = Get(configuration, name);
        if (policy.Enabled != enabled)
        {
            policy.Enabled = enabled;
            policy.ModifiedAt = now;
        }

        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    public static SessionPolicyEntry Remove(CasbConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        SessionPolicyEntry policy = Get(configuration, name);
        configuration.SessionPolicies.Remove(policy);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    /// <summary>A MonitorOnly policy records; it has nothing to block (Defender for Cloud Apps offers no Block for it either).</summary>
    private static void EnsureConsistent(SessionControlType controlType, SessionPolicyAction action, string name)
    {
        if (controlType == SessionControlType.MonitorOnly && action == SessionPolicyAction.Block)
        {
            throw new CasbException(
                MonitorOnlyCannotBlockErrorId, CasbErrorKind.InvalidArgument,
                $"The session policy '{name}' is MonitorOnly, which records downloads and uploads and never blocks. Use -ControlType ControlFileDownload or ControlFileUpload with -Action Block.",
                name);
        }
    }
}
