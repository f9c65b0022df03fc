using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>An access policy (the App Control layer): filters on app, device tags, users, client app, IP and user agent, and an action.</summary>
public sealed class CasbAccessPolicy
{
    internal CasbAccessPolicy(AccessPolicyEntry entry, string storePath)
    {
        Name = entry.Name;
        Description = entry.Description;
        Enabled = entry.Enabled;
        Action = entry.Action;
        BlockMessage = entry.BlockMessage;
        Severity = entry.Severity;
        Apps = entry.Apps.ToArray();
        DeviceTags = entry.DeviceTags.ToArray();
        DeviceTagOperator = entry.DeviceTagOperator;
        Users = entry.Users.ToArray();
        Groups = entry.Groups.ToArray();
        ExcludeUsers = entry.ExcludeUsers.ToArray();
        ExcludeGroups = entry.ExcludeGroups.ToArray();
        ClientApp = entry.ClientApp;
        IPRanges = entry.IPRanges.ToArray();
        IPRangeOperator = entry.IPRangeOperator;
        UserAgentContains = entry.UserAgentContains.ToArray();
        CreatedAt = entry.CreatedAt;
        ModifiedAt = entry.ModifiedAt;
        StorePath = storePath;
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

    public override string ToString() => Name;
}
