namespace CasbCore.Policies;

public enum FileAction
{
    /// <summary>The transfer goes through; nothing records it beyond the session.</summary>
    Allow,

    /// <summary>The transfer goes through and is recorded.</summary>
    Audit,

    /// <summary>The transfer is refused with the block message.</summary>
    Block,
}

/// <summary>The engine's answer for one download or upload inside a session, and every reason why.</summary>
public sealed class FileDecision
{
    public required FileAction Action { get; init; }

    public required FileTransferDirection Direction { get; init; }

    public string? FileName { get; init; }

    public string Extension { get; init; } = "";

    public long? SizeBytes { get; init; }

    /// <summary>The App Control mode in force for the session, or null when it is not under App Control.</summary>
    public Model.AppControlMode? AppControlMode { get; init; }

    /// <summary>The session policy that decided, or null (mode, no match, or a blocked session).</summary>
    public string? Policy { get; init; }

    /// <summary>Every session policy that matched the transfer.</summary>
    public IReadOnlyList<string> MatchedPolicies { get; init; } = [];

    public string? BlockMessage { get; init; }

    public IReadOnlyList<string> Reasons { get; init; } = [];
}
