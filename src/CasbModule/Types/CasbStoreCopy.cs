using CasbCore;
using CasbCore.Store;

namespace CasbModule.Types;

/// <summary>What Copy-CasbStore copied.</summary>
public sealed class CasbStoreCopy
{
    internal CasbStoreCopy(StoreCopyResult result)
    {
        From = DisplayText.Safe(result.From)!;
        To = DisplayText.Safe(result.To)!;
        SourceRevision = result.SourceRevision;
        Revision = result.Revision;
        Blobs = DisplayText.SafeAll(result.Blobs);
        RemovedBlobs = DisplayText.SafeAll(result.RemovedBlobs);
    }

    public string From { get; }

    public string To { get; }

    /// <summary>The source's revision that was copied.</summary>
    public long SourceRevision { get; }

    /// <summary>The target's revision now.</summary>
    public long Revision { get; }

    /// <summary>The shared blobs copied (secrets, server certificate, sign-in keys and claims): all the target holds now.</summary>
    public string[] Blobs { get; }

    /// <summary>The blobs only the target had, deleted by -Force.</summary>
    public string[] RemovedBlobs { get; }
}
