using CasbCore.Catalogs;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// One enabled session policy. Its session filters are compiled as an access policy's, so both kinds of policy
/// match a session by the same code; its file filters (direction, extension, size) are checked per transfer.
/// </summary>
internal sealed class CompiledSessionPolicy
{
    private readonly CompiledAccessPolicy _session;
    private readonly string[] _extensions;
    private readonly long? _minBytes;

    public CompiledSessionPolicy(SessionPolicyEntry entry, int order, PrincipalIndex principals)
    {
        Name = entry.Name;
        Order = order;
        ControlType = entry.ControlType;
        // A MonitorOnly policy records: whatever its stored action, it never blocks.
        Action = entry.ControlType == SessionControlType.MonitorOnly ? SessionPolicyAction.Audit : entry.Action;
        Severity = entry.Severity;
        BlockMessage = string.IsNullOrWhiteSpace(entry.BlockMessage) ? null : entry.BlockMessage;
        Apps = entry.Apps;
        _session = new CompiledAccessPolicy(
            new AccessPolicyEntry
            {
                Name = entry.Name,
                Apps = entry.Apps,
                DeviceTags = entry.DeviceTags,
                DeviceTagOperator = entry.DeviceTagOperator,
                Users = entry.Users,
                Groups = entry.Groups,
                ExcludeUsers = entry.ExcludeUsers,
                ExcludeGroups = entry.ExcludeGroups,
                ClientApp = entry.ClientApp,
                IPRanges = entry.IPRanges,
                IPRangeOperator = entry.IPRangeOperator,
            },
            order,
            principals,
            _ => throw new InvalidOperationException("A session policy has no user-agent filter."));
        _extensions = entry.FileExtensions
            .Where(e => !string.IsNullOrWhiteSpace(e))
            .Select(ConfigurationInput.NormalizeFileExtension)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        _minBytes = entry.MinFileSizeMB is int megabytes ? megabytes * 1024L * 1024L : null;
        MatchedReason = $"Session policy '{Name}' matched ({ControlType}, {Action}, severity {Severity}).";
    }

    public string Name { get; }

    public int Order { get; }

    public SessionControlType ControlType { get; }

    public SessionPolicyAction Action { get; }

    public PolicySeverity Severity { get; }

    public string? BlockMessage { get; }

    public IReadOnlyList<string> Apps { get; }

    public string MatchedReason { get; }

    public bool AppliesTo(ClientAppType type) => _session.AppliesTo(type);

    /// <summary>The session filters: app (by the caller's index), users and groups, device tags, client app, IP ranges.</summary>
    public bool MatchesSession(RequestFacts facts) => _session.Matches(facts);

    /// <summary>The file filters: direction (by control type), extension, minimum size (an unknown size matches: fail closed).</summary>
    public bool MatchesFile(FileTransfer file)
    {
        bool direction = ControlType switch
        {
            SessionControlType.ControlFileDownload => file.Direction == FileTransferDirection.Download,
            SessionControlType.ControlFileUpload => file.Direction == FileTransferDirection.Upload,
            _ => true,
        };
        if (!direction)
        {
            return false;
        }

        if (_extensions.Length > 0 && Array.IndexOf(_extensions, file.Extension) < 0)
        {
            return false;
        }

        return _minBytes is not long min || file.SizeBytes is not long size || size >= min;
    }

    /// <summary>True when this policy controls <paramref name="direction"/> and names <paramref name="extension"/> (canonical form).</summary>
    public bool NamesExtension(FileTransferDirection direction, string extension) =>
        extension.Length > 0
        && (ControlType == SessionControlType.MonitorOnly
            || ControlType == (direction == FileTransferDirection.Download ? SessionControlType.ControlFileDownload : SessionControlType.ControlFileUpload))
        && Array.IndexOf(_extensions, extension) >= 0;

    /// <summary>True when this policy controls uploads and its extension filter takes <paramref name="extension"/>: names it, or has none (every file).</summary>
    public bool TakesUploadExtension(string extension) =>
        (ControlType == SessionControlType.MonitorOnly || ControlType == SessionControlType.ControlFileUpload)
        && (_extensions.Length == 0 || Array.IndexOf(_extensions, extension) >= 0);

    /// <summary>True when this policy should decide over <paramref name="other"/>: Block over Audit, then severity, then name, then order.</summary>
    public bool Outranks(CompiledSessionPolicy other)
    {
        if (Action != other.Action)
        {
            return Action == SessionPolicyAction.Block;
        }

        if (Severity != other.Severity)
        {
            return Severity > other.Severity;
        }

        int byName = string.Compare(Name, other.Name, StringComparison.OrdinalIgnoreCase);
        return byName != 0 ? byName < 0 : Order < other.Order;
    }
}
