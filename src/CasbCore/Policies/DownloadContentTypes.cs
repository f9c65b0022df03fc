using System.Collections.Frozen;

namespace CasbCore.Policies;

/// <summary>
/// The names a browser saves a download under when its Content-Type, not its name, says what the file is. Chromium
/// (net/base/filename_util's EnsureSafeExtension, mime_util's preferred extensions) gives a name without an
/// extension the type's preferred one (<c>/download?id=5</c> as application/x-msdownload is saved as download.exe),
/// and replaces a URL name's extension the type does not list when the URL has a query (<c>/get.php?id=5</c> is
/// get.exe); Firefox also corrects a Content-Disposition name's extension. The engine decides a file under that name
/// too, so an extension policy is not a name's to escape, and Test-CasbAccess -ContentType asks the same question.
/// </summary>
/// <remarks>
/// Small on purpose: the types that carry executables, archives and documents. Saved types are ones a browser
/// cannot show and always saves (a response of one is a download whatever its URL); application/pdf is shown but
/// saved under its type's name. text/html, images, JSON, scripts a page loads and the like are not here: they are
/// pages and API calls, downloads only by a Content-Disposition or a URL a policy names. application/octet-stream is
/// saved but adds no extension (Chromium maps it to none). A type nobody declared (missing, unknown/unknown,
/// application/unknown, */*) is sniffed by the browser unless X-Content-Type-Options: nosniff: its bytes may make it
/// a zip, a gzip or a PDF (Chromium's magic numbers), so it may be saved under any of those names.
/// </remarks>
public static class DownloadContentTypes
{
    /// <summary>One known type: its extensions (the preferred first; none for application/octet-stream) and whether a browser always saves it.</summary>
    public sealed record Entry(string MediaType, string[] Extensions, bool Saved);

    private static readonly Entry[] Entries =
    [
        // Executables and installers.
        new("application/octet-stream", [], true),
        new("application/x-msdownload", ["exe", "dll", "com"], true),
        new("application/x-msdos-program", ["exe", "com", "bat", "dll"], true),
        new("application/x-ms-dos-executable", ["exe"], true),
        new("application/vnd.microsoft.portable-executable", ["exe", "dll"], true),
        new("application/x-dosexec", ["exe"], true),
        new("application/x-msi", ["msi"], true),
        new("application/x-ms-installer", ["msi"], true),
        new("application/java-archive", ["jar"], true),
        new("application/vnd.android.package-archive", ["apk"], true),
        new("application/hta", ["hta"], true),
        new("application/x-sh", ["sh"], true),

        // Archives.
        new("application/zip", ["zip"], true),
        new("application/x-zip-compressed", ["zip"], true),
        new("application/gzip", ["gz", "tgz"], true),
        new("application/x-gzip", ["gz", "tgz"], true),
        new("application/x-tar", ["tar"], true),
        new("application/x-7z-compressed", ["7z"], true),
        new("application/vnd.rar", ["rar"], true),
        new("application/x-rar-compressed", ["rar"], true),

        // Documents (text/csv is one Chromium does not show).
        new("application/msword", ["doc", "dot"], true),
        new("application/vnd.ms-excel", ["xls"], true),
        new("application/vnd.ms-powerpoint", ["ppt"], true),
        new("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ["docx"], true),
        new("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ["xlsx"], true),
        new("application/vnd.openxmlformats-officedocument.presentationml.presentation", ["pptx"], true),
        new("application/vnd.oasis.opendocument.text", ["odt"], true),
        new("application/vnd.oasis.opendocument.spreadsheet", ["ods"], true),
        new("application/vnd.oasis.opendocument.presentation", ["odp"], true),
        new("application/rtf", ["rtf"], true),
        new("text/csv", ["csv"], true),
        new("application/pdf", ["pdf"], false),
    ];

    private static readonly FrozenDictionary<string, Entry> ByType =
        Entries.ToFrozenDictionary(e => e.MediaType, StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> BySpan =
        ByType.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>What a browser's sniffer can make of an undeclared type's bytes, among the types above.</summary>
    private static readonly Entry[] Sniffed = [ByType["application/zip"], ByType["application/gzip"], ByType["application/pdf"]];

    /// <summary>Every type in the table, for documentation and tests.</summary>
    public static IReadOnlyList<Entry> All => Entries;

    /// <summary>
    /// The entry for a Content-Type value (parameters such as <c>; charset=</c> ignored, any case), or null. No
    /// allocation: this runs for every proxied response in a session under App Control.
    /// </summary>
    public static Entry? Find(ReadOnlySpan<char> contentType)
    {
        ReadOnlySpan<char> mediaType = MediaTypeOf(contentType);
        return BySpan.TryGetValue(mediaType, out Entry? entry) ? entry : null;
    }

    /// <summary>
    /// True for a type a browser sniffs into another: none, unknown/unknown, application/unknown, */*, or one without a
    /// '/' (Chromium's "unknown" types; <c>X-Content-Type-Options: nosniff</c> turns them into text/plain instead).
    /// </summary>
    public static bool IsUndeclared(ReadOnlySpan<char> contentType)
    {
        ReadOnlySpan<char> mediaType = MediaTypeOf(contentType);
        return mediaType.IsEmpty || !mediaType.Contains('/')
            || mediaType.Equals("unknown/unknown", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/unknown", StringComparison.OrdinalIgnoreCase)
            || mediaType.SequenceEqual("*/*");
    }

    /// <summary>
    /// Adds to <paramref name="names"/> every name a browser may save a file called <paramref name="name"/> (null: no
    /// name, saved as "download") under, given its Content-Type <paramref name="contentType"/>: the name with the
    /// type's preferred extension when its own is not one the type lists. An undeclared type adds the name with each
    /// extension a sniffer can give it. Nothing for a type not in the table or one without extensions.
    /// </summary>
    public static void AddTypedNames(List<string> names, string? name, string? contentType)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (contentType is null)
        {
            return;
        }

        if (Find(contentType) is { } entry)
        {
            FileNameSpellings.Add(names, TypedName(name, entry));
        }
        else if (IsUndeclared(contentType))
        {
            foreach (Entry sniffed in Sniffed)
            {
                FileNameSpellings.Add(names, TypedName(name, sniffed));
            }
        }
    }

    /// <summary>The name a browser gives the file for <paramref name="entry"/>'s type, or null when it keeps <paramref name="name"/>.</summary>
    public static string? TypedName(string? name, Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Extensions.Length == 0)
        {
            return null;
        }

        string leaf = string.IsNullOrWhiteSpace(name) ? "download" : name.Trim();
        string extension = FileTransfer.ExtensionOf(leaf);
        if (Array.IndexOf(entry.Extensions, extension) >= 0)
        {
            return null;
        }

        // As Chromium's ReplaceExtension: the last extension goes (a name's trailing dots and spaces with it), the type's comes.
        int end = leaf.Length;
        while (end > 0 && (leaf[end - 1] == '.' || char.IsWhiteSpace(leaf[end - 1]) || char.IsControl(leaf[end - 1])))
        {
            end--;
        }

        string stem = leaf[..end];
        if (extension.Length > 0)
        {
            stem = stem[..stem.LastIndexOf('.')];
        }

        return stem + "." + entry.Extensions[0];
    }

    private static ReadOnlySpan<char> MediaTypeOf(ReadOnlySpan<char> contentType)
    {
        int semicolon = contentType.IndexOf(';');
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
    }
}
