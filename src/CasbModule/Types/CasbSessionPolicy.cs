using CasbCore;
using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>A session policy: what happens to downloads and uploads inside an allowed session, and which sessions and files it applies to.</summary>
public sealed class CasbSessionPolicy
{
    internal CasbSessionPolicy(SessionPolicyEntry entry, string storePath)
    {
        Name = DisplayText.Safe(entry.Name);
        Description = DisplayText.Safe(entry.Description);
        Enabled = entry.Enabled;
        ControlType = entry.ControlType;
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
        FileExtensions = DisplayText.SafeAll(entry.FileExtensions);
        MinFileSizeMB = entry.MinFileSizeMB;
        CreatedAt = entry.CreatedAt;
        ModifiedAt = entry.ModifiedAt;
        StorePath = DisplayText.Safe(storePath);
        ExactName = entry.Name;
        ExactStorePath = storePath;
    }

    public string Name { get; }

    public string? Description { get; }

    public bool Enabled { get; }

    /// <summary>MonitorOnly, ControlFileDownload or ControlFileUpload.</summary>
    public SessionControlType ControlType { get; }

    /// <summary>Audit or Block.</summary>
    public SessionPolicyAction Action { get; }

    public string? BlockMessage { get; }

    public PolicySeverity Severity { get; }

    /// <summary>App names; empty means all apps.</summary>
    public string[] Apps { get; }

    public string[] DeviceTags { get; }

    public FilterOperator DeviceTagOperator { get; }

    public string[] Users { get; }

    public string[] Groups { get; }

    public string[] ExcludeUsers { get; }

    public string[] ExcludeGroups { get; }

    public AccessPolicyClientApp ClientApp { get; }

    public string[] IPRanges { get; }

    public IPRangeOperator IPRangeOperator { get; }

    /// <summary>File extensions without the dot; empty means every file.</summary>
    public string[] FileExtensions { get; }

    /// <summary>Only files of at least this many MB; null means any size.</summary>
    public int? MinFileSizeMB { get; }

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
