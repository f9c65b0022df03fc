using CasbCore.Model;

namespace CasbCore.Store;

/// <summary>What <see cref="StoreCopy.Copy"/> did.</summary>
/// <param name="From">The source store's location.</param>
/// <param name="To">The target store's location.</param>
/// <param name="SourceRevision">The revision copied.</param>
/// <param name="Revision">The target's new revision (the target's own numbering goes on: a gateway on it sees a newer one).</param>
/// <param name="Blobs">The shared blobs copied (secrets, the self-signed server certificate, sign-in keys).</param>
public sealed record StoreCopyResult(string From, string To, long SourceRevision, long Revision, IReadOnlyList<string> Blobs);

/// <summary>
/// Moves a whole store to another one (a folder to PostgreSQL or back): the configuration document and every shared
/// blob. The target must be empty unless <c>force</c>; a corrupt or unknown-schema target is refused even then and stays
/// as it is. Blobs are written before the configuration that refers to them, and the configuration with the target's
/// optimistic check, so a change made to the target meanwhile is a StoreConflict, not a lost change.
/// </summary>
public static class StoreCopy
{
    /// <summary>Checks what <see cref="Copy"/> would refuse, without writing (for -WhatIf and the confirmation text).</summary>
    public static (CasbConfiguration Source, long TargetRevision) Plan(IConfigurationStore from, IConfigurationStore to, bool force)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (string.Equals(from.Location, to.Location, StringComparison.Ordinal))
        {
            throw new CasbException("StoreCopySameStore", CasbErrorKind.InvalidArgument, $"'{from.Location}' is both the source and the target.", to.Location);
        }

        byte[] document = from.ReadDocument()
            ?? throw new CasbException("StoreCopySourceEmpty", CasbErrorKind.ObjectNotFound, $"The store '{from.Location}' has no configuration to copy.", from.Location);
        CasbConfiguration source = CasbStore.Parse(document, from.DocumentName);

        // Load refuses a corrupt or unknown-schema target: it is never overwritten, -Force or not.
        CasbConfiguration target = to.Load();
        bool empty = to.ReadDocument() is null && to.ListBlobs("").Count == 0;
        if (!empty && !force)
        {
            throw new CasbException(
                "StoreCopyTargetNotEmpty", CasbErrorKind.ResourceExists,
                $"The store '{to.Location}' is not empty (revision {target.Revision}). Use -Force to replace its configuration.", to.Location);
        }

        return (source, target.Revision);
    }

    public static StoreCopyResult Copy(IConfigurationStore from, IConfigurationStore to, bool force)
    {
        (CasbConfiguration source, long targetRevision) = Plan(from, to, force);
        long sourceRevision = source.Revision;
        var blobs = new List<string>();
        foreach (string name in from.ListBlobs(""))
        {
            if (from.ReadBlob(name) is { } content)
            {
                to.WriteBlob(name, content);
                blobs.Add(name);
            }
        }

        long revision = to.Write(source, targetRevision);
        return new StoreCopyResult(from.Location, to.Location, sourceRevision, revision, blobs);
    }
}
