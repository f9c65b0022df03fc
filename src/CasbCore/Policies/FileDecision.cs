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

    /// <summary>The session policy behind <see cref="Policy"/>, for ranking one spelling's answer against another's.</summary>
    internal CompiledSessionPolicy? DecidedBy { get; init; }

    /// <summary>
    /// True when this answer should stand over <paramref name="other"/>, the answer for another spelling of the same file's
    /// name: the stricter action, then, on a tie, the session policy that ranks first (Block over Audit, severity, name,
    /// order), as the policies matching one name are ranked. So the policy and the block message do not hang on which
    /// spelling a reader happened to decide first (the gateway's header order, the name typed into Test-CasbAccess).
    /// </summary>
    public bool IsStricterThan(FileDecision other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Action != other.Action
            ? Action > other.Action
            : DecidedBy is not null && other.DecidedBy is not null && !ReferenceEquals(DecidedBy, other.DecidedBy) && DecidedBy.Outranks(other.DecidedBy);
    }
}
