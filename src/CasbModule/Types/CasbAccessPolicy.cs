using CasbCore;
using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>An access policy (the App Control layer): filters on app, device tags, users, client app, IP and user agent, and an action.</summary>
public sealed class CasbAccessPolicy
{
    internal CasbAccessPolicy(AccessPolicyEntry entry, string storePath)
    {
        Name = DisplayText.Safe(entry.Name);
        Description = DisplayText.Safe(entry.Description);
        Enabled = entry.Enabled;
        Action = entry.Action;
        BlockMessage = DisplayText.Safe(entry.BlockMessage);
        Severity = entry.Severity;
        Apps = DisplayText.SafeAll(entry.Apps);
        DeviceTags = DisplayText.SafeAll(entry.DeviceTags);
        DeviceTagOperator = entry.DeviceTagOperator;
        Users = DisplayText.SafeAll(entry.Users);
        Groups = DisplayText.SafeAll(entry.Groups);
        ExcludeUsers = DisplayText.SafeAll(entry.ExcludeUsers);
        ExcludeGroups = DisplayText.SafeAll(entry.ExcludeGroups);
        ClientApp = entry.ClientApp;
        IPRanges = DisplayText.SafeAll(entry.IPRanges);
        IPRangeOperator = entry.IPRangeOperator;
        UserAgentContains = DisplayText.SafeAll(entry.UserAgentContains);
        CreatedAt = entry.CreatedAt;
        ModifiedAt = entry.ModifiedAt;
        StorePath = DisplayText.Safe(storePath);
        ExactName = entry.Name;
        ExactStorePath = storePath;
    }

    public string Name { get; }

    public string? Description { get; }

    public bool Enabled { get; }

    public AccessPolicyAction Action { get; }

    public string? BlockMessage { get; }

    public PolicySeverity Severity { get; }

    /// <summary>App names; empty means all apps.</summary>
    public string[] Apps { get; }

    /// <summary>Canonical device tag names.</summary>
    public string[] DeviceTags { get; }

    public FilterOperator DeviceTagOperator { get; }

    public string[] Users { get; }

    public string[] Groups { get; }

    public string[] ExcludeUsers { get; }

    public string[] ExcludeGroups { get; }

    public AccessPolicyClientApp ClientApp { get; }

    public string[] IPRanges { get; }

    public IPRangeOperator IPRangeOperator { get; }

    public string[] UserAgentContains { get; }

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
