using CasbCore.Model;

namespace CasbCore.Store;

/// <summary>
/// Moves a whole store to another one (a folder to PostgreSQL or back): the target ends as exactly the source's
/// configuration and shared blobs. The target must be empty unless <c>force</c>; with it, the target's configuration is
/// replaced (as its next revision, so gateways on it follow) and its blobs that the source does not have are deleted.
/// A corrupt or unknown-schema target is refused even then and stays as it is. The target is written in one step
/// (<see cref="IConfigurationStore.Replace"/>) with its optimistic check, so a change made to it meanwhile is a
/// StoreConflict, not a lost change, and a failure leaves it as it was.
/// </summary>
public static class StoreCopy
{
    private const int SourceReadAttempts = 5;

    /// <summary>Reads the source and works out what the copy does to the target, without writing (for -WhatIf and the confirmation).</summary>
    public static StoreCopyPlan Plan(IConfigurationStore from, IConfigurationStore to, bool force)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (IsSameStore(from, to))
        {
            throw new CasbException("StoreCopySameStore", CasbErrorKind.InvalidArgument, $"'{from.Location}' is both the source and the target.", to.Location);
        }

        (CasbConfiguration source, SortedDictionary<string, byte[]> blobs) = ReadSource(from);

        // Load refuses a corrupt or unknown-schema target: it is never overwritten, -Force or not.
        CasbConfiguration target = to.Load();
        bool hasDocument = to.ReadDocument() is not null;
        var added = new List<string>();
        var replaced = new List<string>();
        var unchanged = new List<string>();
        var removed = new List<string>();
        IReadOnlyList<string> targetBlobs = to.ListBlobs("");
        foreach ((string name, byte[] content) in blobs)
        {
            if (!targetBlobs.Contains(name, StringComparer.Ordinal))
            {
                added.Add(name);
            }
            else if (to.ReadBlob(name) is { } held && held.AsSpan().SequenceEqual(content))
            {
                unchanged.Add(name);
            }
            else
            {
                replaced.Add(name);
            }
        }

        removed.AddRange(targetBlobs.Where(name => !blobs.ContainsKey(name)));
        var plan = new StoreCopyPlan(
            from.Location, to.Location, source, source.Revision, blobs, hasDocument ? target.Revision : 0, hasDocument, added, replaced, unchanged, removed);
        if (!plan.TargetIsEmpty && !force)
        {
            throw new CasbException(
                "StoreCopyTargetNotEmpty", CasbErrorKind.ResourceExists,
                $"The store '{to.Location}' is not empty ({plan.DescribeTarget()}). Use -Force to replace it with the copy: {plan.DescribeChanges()}.", to.Location);
        }

        return plan;
    }

    /// <summary>Copies as <see cref="Plan"/> says.</summary>
    public static StoreCopyResult Copy(IConfigurationStore from, IConfigurationStore to, bool force) => Copy(to, Plan(from, to, force));

    /// <summary>
    /// Writes a planned copy to <paramref name="to"/> in one step. StoreConflict when the target's configuration changed
    /// since the plan (nothing is written); blobs a gateway added to it since are removed with the rest.
    /// </summary>
    public static StoreCopyResult Copy(IConfigurationStore to, StoreCopyPlan plan)
    {
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(plan);
        if (!string.Equals(to.Location, plan.To, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The plan is for '{plan.To}', not '{to.Location}'.", nameof(to));
        }

        // Replace stamps the revision on the configuration it writes: a copy keeps the plan's as it was read.
        CasbConfiguration configuration = CasbStore.Parse(CasbStore.Serialize(plan.Source), plan.From);
        long revision = to.Replace(configuration, plan.TargetRevision, plan.Blobs);
        return new StoreCopyResult(plan.From, plan.To, plan.SourceRevision, revision, plan.Blobs.Keys.ToList(), plan.RemovedBlobs);
    }

    // One store however it was named: a folder with or without a trailing separator, through '..' (the path is made full)
    // or through a symbolic link, a database through another user or a spelling of its host in another case.
    private static bool IsSameStore(IConfigurationStore from, IConfigurationStore to) => (from, to) switch
    {
        (CasbStore a, CasbStore b) => string.Equals(
            RealPath(a.Path), RealPath(b.Path),
            OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal),
        (Postgres.PostgresStore a, Postgres.PostgresStore b) =>
            string.Equals(a.Uri.Host, b.Uri.Host, StringComparison.OrdinalIgnoreCase) && a.Uri.Port == b.Uri.Port
            && string.Equals(a.Uri.Database, b.Uri.Database, StringComparison.Ordinal),
        _ => string.Equals(from.Location, to.Location, StringComparison.Ordinal),
    };

    // The folder with every symbolic link on its way resolved, a link's own target too (the part not there yet as spelt);
    // the full path as it is when a link cannot be read.
    private static string RealPath(string path, int depth = 0)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        try
        {
            string resolved = Path.GetPathRoot(full)!;
            foreach (string part in full[resolved.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
            {
                resolved = Path.Combine(resolved, part);
                if (depth < 40 && new DirectoryInfo(resolved).LinkTarget is { } target)
                {
                    resolved = RealPath(Path.Combine(Path.GetDirectoryName(resolved)!, target), depth + 1);
                }
            }

            return resolved;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return full;
        }
    }

    // The document, then the blobs that belong to it (ConfigurationStoreExtensions.TryReadBeside).
    private static (CasbConfiguration Source, SortedDictionary<string, byte[]> Blobs) ReadSource(IConfigurationStore from)
    {
        for (int attempt = 1; ; attempt++)
        {
            (byte[] document, CasbConfiguration source) = from.ReadWritten("StoreCopySourceEmpty", "copy");
            if (from.TryReadBeside(document, () => ReadBlobs(from), out SortedDictionary<string, byte[]> blobs))
            {
                return (source, blobs);
            }

            if (attempt == SourceReadAttempts)
            {
                throw new CasbException(
                    "StoreCopySourceChanging", CasbErrorKind.ResourceBusy,
                    $"The store '{from.Location}' changed {SourceReadAttempts} times while it was being read. Nothing was written; run the copy again.", from.Location);
            }
        }
    }

    private static SortedDictionary<string, byte[]> ReadBlobs(IConfigurationStore from)
    {
        var blobs = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string name in from.ListBlobs(""))
        {
            if (from.ReadBlob(name) is { } content)
            {
                blobs[name] = content; // one deleted meanwhile is not part of the copy
            }
        }

        return blobs;
    }
}
