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
        : this(direction, fileName, sizeBytes, null)
    {
    }

    /// <param name="contentType">
    /// A download's Content-Type, when it says what the file is: a browser may save the file under the type's
    /// extension (<see cref="DownloadContentTypes"/>), and the engine decides that name too.
    /// </param>
    public FileTransfer(FileTransferDirection direction, string? fileName, long? sizeBytes, string? contentType)
    {
        if (sizeBytes is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), sizeBytes, "A file size is not negative.");
        }

        Direction = direction;
        FileName = string.IsNullOrWhiteSpace(fileName) ? null : fileName.Trim();
        SizeBytes = sizeBytes;
        Extension = ExtensionOf(FileName);
        ContentType = direction == FileTransferDirection.Download ? contentType?.Trim() : null;
    }

    /// <summary>
    /// A download's Content-Type as sent ("" for none: the browser sniffs the body), or null when not asked about (an
    /// upload's is the client's to choose: not read).
    /// </summary>
    public string? ContentType { get; }

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
