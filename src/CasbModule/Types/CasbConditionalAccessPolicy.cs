using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>A conditional-access policy (the Entra layer): who and which apps are routed through App Control or blocked.</summary>
public sealed class CasbConditionalAccessPolicy
{
    internal CasbConditionalAccessPolicy(ConditionalAccessPolicyEntry entry, string storePath)
    {
        Name = entry.Name;
        State = entry.State;
        IncludeUsers = entry.IncludeUsers.ToArray();
        IncludeGroups = entry.IncludeGroups.ToArray();
        ExcludeUsers = entry.ExcludeUsers.ToArray();
        ExcludeGroups = entry.ExcludeGroups.ToArray();
        Apps = entry.Apps.ToArray();
        ClientAppTypes = entry.ClientAppTypes.ToArray();
        SessionControl = entry.SessionControl;
        AppControlMode = entry.AppControlMode;
        Grant = entry.Grant;
        CreatedAt = entry.CreatedAt;
        ModifiedAt = entry.ModifiedAt;
        StorePath = storePath;
    }

    public string Name { get; }

    public ConditionalAccessState State { get; }

    public string[] IncludeUsers { get; }

    public string[] IncludeGroups { get; }

    public string[] ExcludeUsers { get; }

    public string[] ExcludeGroups { get; }

    /// <summary>App names; empty means all apps.</summary>
    public string[] Apps { get; }

    /// <summary>Client app types in scope; empty means all.</summary>
    public ClientAppType[] ClientAppTypes { get; }

    public SessionControlKind SessionControl { get; }

    public AppControlMode AppControlMode { get; }

    public GrantControl Grant { get; }

    /// <summary>"App Control (UseCustomPolicy)" or "Block": the policy's control in one word, for tables.</summary>
    public string Control => Grant == GrantControl.Block
        ? "Block"
        : SessionControl == SessionControlKind.AppControl ? $"AppControl ({AppControlMode})" : "None";

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset ModifiedAt { get; }

    /// <summary>The store the policy was read from, so that a piped object is changed in the same store.</summary>
    public string StorePath { get; }

    public override string ToString() => Name;
}
