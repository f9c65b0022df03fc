using CasbCore.Policies;

namespace CasbGateway.SessionControl;

/// <summary>One file known under several spellings of its name: the engine decides each, the strictest answer stands.</summary>
internal static class FileDecisions
{
    public static FileDecision Strictest(Func<FileTransfer, FileDecision> decide, FileTransferDirection direction, IReadOnlyList<string> names, long? sizeBytes)
    {
        if (names.Count == 0)
        {
            return decide(new FileTransfer(direction, null, sizeBytes));
        }

        FileDecision? strictest = null;
        foreach (string name in names)
        {
            FileDecision decision = decide(new FileTransfer(direction, name, sizeBytes));
            if (strictest is null || decision.IsStricterThan(strictest))
            {
                strictest = decision; // a full tie keeps the first spelling: the one a browser saves under
            }
        }

        return strictest!;
    }
}
