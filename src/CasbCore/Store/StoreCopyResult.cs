namespace CasbCore.Store;

/// <summary>What <see cref="StoreCopy.Copy(IConfigurationStore, StoreCopyPlan)"/> did.</summary>
/// <param name="From">The source store's location.</param>
/// <param name="To">The target store's location.</param>
/// <param name="SourceRevision">The revision copied.</param>
/// <param name="Revision">The target's new revision (the target's own numbering goes on: a gateway on it sees a newer one).</param>
/// <param name="Blobs">The shared blobs copied (secrets, the server certificate, sign-in keys and their claims): all the target holds now.</param>
/// <param name="RemovedBlobs">The target's blobs that the source did not have, deleted (only with -Force).</param>
public sealed record StoreCopyResult(string From, string To, long SourceRevision, long Revision, IReadOnlyList<string> Blobs, IReadOnlyList<string> RemovedBlobs);
