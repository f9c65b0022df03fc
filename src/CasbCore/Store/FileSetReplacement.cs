namespace CasbCore.Store;

/// <summary>
/// Replaces several files as nearly at once as a file system allows, for <see cref="CasbStore.Replace"/>. Every new file is
/// written and flushed beside its target first (a failure there leaves every target untouched); then each target is kept
/// as a copy and replaced by an atomic rename (or deleted), in the order given, and a failure undoes the steps made so
/// far from the copies. A reader never finds a target missing or half-written, only the old or the new file. What a file
/// system cannot give is the whole set in one step: a crash (not an error) during the renames leaves some files new and
/// some old, so the caller puts the file that tells which it is (the configuration document) last.
/// </summary>
internal sealed class FileSetReplacement
{
    private readonly List<(string Target, string? Staged)> _steps = [];
    private readonly List<(string Target, string? Backup)> _done = [];
    private readonly List<string> _backups = [];

    /// <summary>Writes <paramref name="content"/> beside <paramref name="target"/>, to replace it on <see cref="Commit"/>.</summary>
    public void Write(string target, ReadOnlySpan<byte> content, bool ownerOnly)
    {
        string directory = Path.GetDirectoryName(target)!;
        if (ownerOnly)
        {
            OwnerOnly.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory);
        }

        string staged = TempName(target, "tmp");
        FileStreamOptions options = ownerOnly
            ? OwnerOnly.FileOptions(FileMode.CreateNew, FileAccess.Write)
            : new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };

        _steps.Add((target, staged));
        using var stream = new FileStream(staged, options);
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Deletes <paramref name="target"/> on <see cref="Commit"/>.</summary>
    public void Delete(string target) => _steps.Add((target, null));

    /// <summary>Makes every step; on an error undoes those made and throws it.</summary>
    public void Commit()
    {
        try
        {
            foreach ((string target, string? staged) in _steps)
            {
                string? backup = null;
                if (File.Exists(target))
                {
                    // A copy, not a rename: the target stays in place until the new file replaces it in one rename.
                    backup = TempName(target, "old");
                    _backups.Add(backup);
                    File.Copy(target, backup);
                }

                if (staged is null)
                {
                    File.Delete(target);
                }
                else
                {
                    File.Move(staged, target, overwrite: true);
                }

                _done.Add((target, backup));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Undo();
            throw;
        }

        foreach (string backup in _backups)
        {
            TryDelete(backup);
        }
    }

    /// <summary>Throws away what was written and not committed (after a failure before <see cref="Commit"/>).</summary>
    public void Abandon()
    {
        foreach ((_, string? staged) in _steps)
        {
            TryDelete(staged);
        }

        foreach (string backup in _backups)
        {
            TryDelete(backup);
        }
    }

    private void Undo()
    {
        for (int i = _done.Count - 1; i >= 0; i--)
        {
            (string target, string? backup) = _done[i];
            try
            {
                if (backup is null)
                {
                    File.Delete(target); // it did not exist before this copy
                }
                else
                {
                    File.Move(backup, target, overwrite: true);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort: the failure that started the undo is the one reported.
            }
        }

        Abandon();
    }

    private static string TempName(string target, string kind) =>
        Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.{kind}");

    private static void TryDelete(string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A stray temp file is harmless: its name starts with '.' and is never read as a blob.
        }
    }
}
