namespace CasbCore.Policies;

public enum FileTransferDirection
{
    Download,
    Upload,
}

/// <summary>
/// One file moving inside a session: the gateway fills it from a response (download) or a request body (upload),
/// Test-CasbAccess from -Download/-Upload -FileName -FileSizeMB. Both then call <see cref="CasbEngine.DecideFile"/>.
/// </summary>
public sealed class FileTransfer
{
    public FileTransfer(FileTransferDirection direction, string? fileName, long? sizeBytes)
    {
        if (sizeBytes is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), sizeBytes, "A file size is not negative.");
        }

        Direction = direction;
        FileName = string.IsNullOrWhiteSpace(fileName) ? null : fileName.Trim();
        SizeBytes = sizeBytes;
        Extension = ExtensionOf(FileName);
    }

    public FileTransferDirection Direction { get; }

    /// <summary>The file name without any folder, or null when unknown.</summary>
    public string? FileName { get; }

    /// <summary>The size in bytes, or null when unknown (a chunked transfer).</summary>
    public long? SizeBytes { get; }

    /// <summary>The part after the name's last dot, lower-case without the dot; "" when there is none.</summary>
    public string Extension { get; }

    /// <summary>
    /// The canonical extension of a file name: folders (either slash) are dropped first, so "a.pdf/evil" has none;
    /// trailing dots, white space and control characters go ("a.exe.\t." is saved as a.exe); a name that is only a
    /// dot-file (".bashrc") has the extension after its dot, as Windows shows it.
    /// </summary>
    public static string ExtensionOf(string? fileName)
    {
        if (string.IsNullOrEmpty(fileName))
        {
            return "";
        }

        string name = fileName[(fileName.LastIndexOfAny(['/', '\\']) + 1)..];
        int end = name.Length;
        while (end > 0 && (name[end - 1] == '.' || char.IsWhiteSpace(name[end - 1]) || char.IsControl(name[end - 1])))
        {
            end--; // Windows drops trailing dots and spaces; browsers turn a tab or a control character into one first
        }

        name = name[..end];
        int dot = name.LastIndexOf('.');
        return dot < 0 || dot == name.Length - 1 ? "" : name[(dot + 1)..].ToLowerInvariant();
    }
}
