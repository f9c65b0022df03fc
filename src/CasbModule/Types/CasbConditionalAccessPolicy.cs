using CasbCore;
using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>A conditional-access policy (the Entra layer): who and which apps are routed through App Control or blocked.</summary>
public sealed class CasbConditionalAccessPolicy
{
    internal CasbConditionalAccessPolicy(ConditionalAccessPolicyEntry entry, string storePath)
    {
        Name = DisplayText.Safe(entry.Name);
        State = entry.State;
        IncludeUsers = DisplayText.SafeAll(entry.IncludeUsers);
        IncludeGroups = DisplayText.SafeAll(entry.IncludeGroups);
        ExcludeUsers = DisplayText.SafeAll(entry.ExcludeUsers);
        ExcludeGroups = DisplayText.SafeAll(entry.ExcludeGroups);
        Apps = DisplayText.SafeAll(entry.Apps);
        ClientAppTypes = entry.ClientAppTypes.ToArray();
        SessionControl = entry.SessionControl;
        AppControlMode = entry.AppControlMode;
        Grant = entry.Grant;
        CreatedAt = entry.CreatedAt;
        ModifiedAt = entry.ModifiedAt;
        StorePath = DisplayText.Safe(storePath);
        ExactName = entry.Name;
        ExactStorePath = storePath;
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

    /// <summary>The name as stored, for the cmdlets that find a piped item again (Name is made safe to display).</summary>
    internal string ExactName { get; }

    /// <summary>The store path as given, for the cmdlets that change a piped item in its own store.</summary>
    internal string ExactStorePath { get; }

    public override string ToString() => Name;
}
