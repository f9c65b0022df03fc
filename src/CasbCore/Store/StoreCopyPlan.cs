using CasbCore.Model;

namespace CasbCore.Store;

/// <summary>What a copy will do to its target (<see cref="StoreCopy.Plan"/>): read before anything is written.</summary>
/// <param name="From">The source store's location.</param>
/// <param name="To">The target store's location.</param>
/// <param name="Source">The source's configuration as read.</param>
/// <param name="SourceRevision">Its revision.</param>
/// <param name="Blobs">The source's shared blobs as read: exactly what the target will hold.</param>
/// <param name="TargetRevision">The target's revision now (0: no configuration).</param>
/// <param name="TargetHasConfiguration">The target has a configuration document, which the copy replaces.</param>
/// <param name="AddedBlobs">Blobs the target does not have yet.</param>
/// <param name="ReplacedBlobs">Blobs the target has with other content, overwritten.</param>
/// <param name="UnchangedBlobs">Blobs the target already has with the same content.</param>
/// <param name="RemovedBlobs">Blobs only the target has, deleted.</param>
public sealed record StoreCopyPlan(
    string From,
    string To,
    CasbConfiguration Source,
    long SourceRevision,
    IReadOnlyDictionary<string, byte[]> Blobs,
    long TargetRevision,
    bool TargetHasConfiguration,
    IReadOnlyList<string> AddedBlobs,
    IReadOnlyList<string> ReplacedBlobs,
    IReadOnlyList<string> UnchangedBlobs,
    IReadOnlyList<string> RemovedBlobs)
{
    /// <summary>No configuration and no blobs: nothing there for the copy to replace.</summary>
    public bool TargetIsEmpty => !TargetHasConfiguration && ReplacedBlobs.Count == 0 && UnchangedBlobs.Count == 0 && RemovedBlobs.Count == 0;

    /// <summary>What the target holds, in words ("revision 4 and 3 blobs").</summary>
    public string DescribeTarget() =>
        (TargetHasConfiguration ? $"configuration revision {TargetRevision}" : "no configuration")
        + $" and {ReplacedBlobs.Count + UnchangedBlobs.Count + RemovedBlobs.Count} blob(s)";

    /// <summary>Every change to the target, one clause each, with the blob names (for -WhatIf and the not-empty error).</summary>
    public string DescribeChanges()
    {
        var parts = new List<string>
        {
            TargetHasConfiguration
                ? $"replace configuration revision {TargetRevision} with revision {SourceRevision} of '{From}' (as revision {TargetRevision + 1})"
                : $"write configuration revision {SourceRevision} of '{From}' (as revision 1)",
        };
        Add("add", AddedBlobs);
        Add("replace", ReplacedBlobs);
        Add("remove", RemovedBlobs);
        if (UnchangedBlobs.Count > 0)
        {
            parts.Add($"keep {UnchangedBlobs.Count} identical blob(s)");
        }

        return string.Join("; ", parts);

        void Add(string verb, IReadOnlyList<string> names)
        {
            if (names.Count > 0)
            {
                parts.Add($"{verb} blob(s) {string.Join(", ", names)}");
            }
        }
    }
}
