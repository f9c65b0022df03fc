using CasbCore.Model;

namespace CasbCore.Catalogs;

/// <summary>
/// The session policies (downloads and uploads inside an allowed session): the shared filters plus file extensions
/// and a minimum size, a control type and an action (Audit or Block). Works inside a store update.
/// </summary>
public sealed class SessionPolicyCatalog : FilterPolicyCatalog<SessionPolicyEntry, SessionPolicyChange>
{
    public const string MonitorOnlyCannotBlockErrorId = "MonitorOnlyCannotBlock";

    /// <summary>The value of <see cref="SessionPolicyChange.MinFileSizeMB"/> that removes the size filter.</summary>
    public const int AnySize = -1;

    private SessionPolicyCatalog()
        : base(ConfigurationItems.SessionPolicies, "a session policy", "Set-CasbSessionPolicy")
    {
    }

    /// <summary>The catalog holds no state: one serves every store.</summary>
    public static SessionPolicyCatalog Instance { get; } = new();

    private protected override void PrepareOwn(SessionPolicyEntry policy)
    {
        policy.FileExtensions = ConfigurationInput.FileExtensions(policy.FileExtensions);
        policy.MinFileSizeMB = ConfigurationInput.MinFileSizeMB(policy.MinFileSizeMB);
        EnsureConsistent(policy.ControlType, policy.Action, policy.Name);
    }

    private protected override SessionPolicyChange PrepareOwn(SessionPolicyChange change) => change with
    {
        FileExtensions = change.FileExtensions is null ? null : ConfigurationInput.FileExtensions(change.FileExtensions),
        MinFileSizeMB = change.MinFileSizeMB is AnySize ? AnySize : ConfigurationInput.MinFileSizeMB(change.MinFileSizeMB),
    };

    private protected override void ChangeOwn(SessionPolicyEntry policy, SessionPolicyChange change)
    {
        policy.ControlType = change.ControlType ?? policy.ControlType;
        policy.Action = change.Action ?? policy.Action;
        EnsureConsistent(policy.ControlType, policy.Action, policy.Name);
        policy.FileExtensions = change.FileExtensions?.ToList() ?? policy.FileExtensions;
        policy.MinFileSizeMB = change.MinFileSizeMB switch
        {
            null => policy.MinFileSizeMB,
            AnySize => null,
            int size => size,
        };
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
