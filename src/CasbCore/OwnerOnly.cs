namespace CasbCore;

/// <summary>
/// Files and folders only their owner may read: the store's document and secrets, the activity log, the gateway's log and
/// server key, the lab's private keys, the sign-in keys, an NSS database. On Unix they are created with mode 600 (files)
/// and 700 (folders) from the first byte, never created readable and narrowed after; on Windows they inherit the ACL of
/// the per-user folder they live in.
/// </summary>
public static class OwnerOnly
{
    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode FolderMode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Options that create a file with mode 600 (an existing file keeps its mode: see <see cref="Tighten"/>).</summary>
    public static FileStreamOptions FileOptions(FileMode mode, FileAccess access, FileShare share = FileShare.None, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode600;
        }

        return options;
    }

    /// <summary>Creates the folder (and its parents) with mode 700; an existing folder keeps its mode unless <paramref name="tighten"/>.</summary>
    public static DirectoryInfo CreateDirectory(string path, bool tighten = false)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(path);
        }

        DirectoryInfo directory = Directory.CreateDirectory(path, FolderMode700);
        if (tighten)
        {
            File.SetUnixFileMode(path, FolderMode700);
        }

        return directory;
    }

    /// <summary>Sets mode 600 on an open file, for one that may have existed with a wider mode before it was opened.</summary>
    public static void Tighten(FileStream stream)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(stream.SafeFileHandle, FileMode600);
        }
    }
}
