namespace CasbCore.Policies;

/// <summary>
/// What Chromium makes of a response declared <c>text/plain</c> (parameters ignored, any case) without
/// <c>X-Content-Type-Options: nosniff</c>: its MIME sniffer (net/base/mime_sniffer.cc, <c>ShouldSniffMimeType</c> lists
/// text/plain, as old servers send it for any unknown extension) reads the first 1024 decoded bytes of the body. A
/// byte-order mark, or no binary-looking byte, keeps it text/plain and it is shown. Otherwise it is
/// application/octet-stream, refined by the same magic numbers an undeclared body is sniffed with (a zip, a gzip, a PDF,
/// an image...), and what the browser cannot show is saved as a file under the URL's name. The gateway calls
/// <see cref="Sniff"/> with the bytes it peeked, so the rule is the engine's and a test can compare it with Chromium's.
/// </summary>
public static class TextPlainSniffer
{
    /// <summary>How many bytes of the (decoded) body Chromium looks at for a binary byte: kMaxBytesToSniff.</summary>
    public const int WindowBytes = 1024;

    /// <summary>How many bytes its magic numbers look at: kBytesRequiredForMagic.</summary>
    public const int MagicBytes = 42;

    /// <summary>What the sniffer made of the body: the type the browser goes on with, and whether it saves it as a file.</summary>
    /// <param name="MediaType">Chromium's resulting type (text/plain when it stays a page).</param>
    /// <param name="Saved">True for a type the browser cannot show: the body is downloaded.</param>
    /// <param name="Executable">True when the body starts with a DOS/PE executable's "MZ": Chromium saves it without an
    /// extension (application/octet-stream adds none), and the engine decides it as the .exe it is as well.</param>
    public sealed record Result(string MediaType, bool Saved, bool Executable);

    private static readonly Result Text = new("text/plain", false, false);

    /// <summary>Byte-order marks: a body that starts with one is text whatever follows (kByteOrderMark).</summary>
    private static readonly byte[][] ByteOrderMarks = [[0xFE, 0xFF], [0xFF, 0xFE], [0xEF, 0xBB, 0xBF]];

    /// <summary>kMagicNumbers in Chromium's order ('.' matches any byte, as MagicCmp reads it): the first match wins.</summary>
    private static readonly (string MediaType, byte[] Magic)[] MagicNumbers =
    [
        ("application/pdf", "%PDF-"u8.ToArray()),
        ("application/postscript", "%!PS-Adobe-"u8.ToArray()),
        ("image/gif", "GIF87a"u8.ToArray()),
        ("image/gif", "GIF89a"u8.ToArray()),
        ("image/png", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        ("image/jpeg", [0xFF, 0xD8, 0xFF]),
        ("image/bmp", "BM"u8.ToArray()),
        ("text/plain", "#!"u8.ToArray()),
        ("text/plain", "%!"u8.ToArray()),
        ("text/plain", "From"u8.ToArray()),
        ("text/plain", ">From"u8.ToArray()),
        ("application/x-gzip", [0x1F, 0x8B, 0x08]),
        ("audio/x-pn-realaudio", [0x2E, 0x52, 0x4D, 0x46]),
        ("video/x-ms-asf", [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C]),
        ("image/tiff", "I I"u8.ToArray()),
        ("image/tiff", "II*"u8.ToArray()),
        ("image/tiff", [(byte)'M', (byte)'M', 0x00, (byte)'*']),
        ("audio/mpeg", "ID3"u8.ToArray()),
        ("image/webp", "RIFF....WEBPVP"u8.ToArray()),
        ("video/webm", [0x1A, 0x45, 0xDF, 0xA3]),
        ("application/zip", [(byte)'P', (byte)'K', 0x03, 0x04]),
        ("application/x-rar-compressed", [(byte)'R', (byte)'a', (byte)'r', (byte)'!', 0x1A, 0x07, 0x00]),
        ("application/x-msmetafile", [0xD7, 0xCD, 0xC6, 0x9A]),
        ("application/octet-stream", "MZ"u8.ToArray()),
    ];

    /// <summary>Types the sniffer can produce that Chromium shows (a page, an image, a player, the PDF viewer) rather than saves.</summary>
    private static readonly string[] Shown =
        ["text/plain", "image/gif", "image/png", "image/jpeg", "image/bmp", "image/webp", "audio/mpeg", "video/webm", "application/pdf"];

    private static readonly string[] OfficeExtensions = [".doc", ".xls", ".ppt", ".docx", ".xlsx", ".pptx"];

    private static readonly string[] CompoundTypes = ["application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"];

    private static readonly string[] OpenXmlTypes =
    [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ];

    private static readonly byte[] CompoundFile = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

    /// <summary>True for a Content-Type whose media type is text/plain (parameters such as charset ignored, any case), without allocating.</summary>
    public static bool IsTextPlain(ReadOnlySpan<char> contentType)
    {
        int semicolon = contentType.IndexOf(';');
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().Equals("text/plain", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// True when a byte of <paramref name="content"/> is a binary data byte (the MIME Sniffing Standard's, Chromium's
    /// LooksLikeBinary): below 0x20 and not TAB, LF, FF, CR or ESC.
    /// </summary>
    public static bool LooksLikeBinary(ReadOnlySpan<byte> content)
    {
        foreach (byte b in content)
        {
            if (b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or (byte)'\f' or (byte)'\r' or 0x1B))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// What Chromium makes of a text/plain body that starts with <paramref name="firstBytes"/> (all of it when shorter
    /// than <see cref="WindowBytes"/>, as the browser waits for the window or the end), fetched from
    /// <paramref name="urlPath"/> (its .crx and Office extensions refine a binary body's type).
    /// </summary>
    public static Result Sniff(ReadOnlySpan<byte> firstBytes, string? urlPath)
    {
        ReadOnlySpan<byte> window = firstBytes.Length > WindowBytes ? firstBytes[..WindowBytes] : firstBytes;
        foreach (byte[] mark in ByteOrderMarks)
        {
            if (window.StartsWith(mark))
            {
                return Text;
            }
        }

        if (!LooksLikeBinary(window))
        {
            return Text;
        }

        // Binary: application/octet-stream, unless the later steps of SniffMimeType find better (in their order).
        string path = urlPath ?? "";
        string type = "application/octet-stream";
        if (path.EndsWith(".crx", StringComparison.Ordinal)
            && (window.StartsWith("Cr24\x02\0\0\0"u8) || window.StartsWith("Cr24\x03\0\0\0"u8)))
        {
            type = "application/x-chrome-extension";
        }
        else if (OfficeType(window, path) is { } office)
        {
            type = office;
        }
        else
        {
            ReadOnlySpan<byte> head = window.Length > MagicBytes ? window[..MagicBytes] : window;
            foreach ((string mediaType, byte[] magic) in MagicNumbers)
            {
                if (Matches(head, magic))
                {
                    type = mediaType;
                    break;
                }
            }
        }

        return new Result(type, Array.IndexOf(Shown, type) < 0, window.StartsWith("MZ"u8));
    }

    /// <summary>
    /// Adds the names a sniffed download may be saved under, or decided under, beside the URL's: the type's extension
    /// (a gzip is saved as name.gz) and, for an executable, the name with .exe.
    /// </summary>
    public static void AddSniffedNames(List<string> names, string? urlName, Result sniffed)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(sniffed);
        DownloadContentTypes.AddTypedNames(names, urlName, sniffed.MediaType);
        if (sniffed.Executable)
        {
            DownloadContentTypes.AddTypedNames(names, urlName, "application/x-msdownload");
        }
    }

    /// <summary>SniffForOfficeDocs: a compound file or a zip at a URL whose path ends in an Office extension.</summary>
    private static string? OfficeType(ReadOnlySpan<byte> window, string path)
    {
        bool compound = window.StartsWith(CompoundFile);
        if (!compound && !window.StartsWith("PK\x03\x04"u8))
        {
            return null;
        }

        // Chromium maps the first extension that ends the path to Word, Excel or PowerPoint, then the magic to the old or the new format.
        for (int i = 0; i < OfficeExtensions.Length; i++)
        {
            if (path.EndsWith(OfficeExtensions[i], StringComparison.OrdinalIgnoreCase))
            {
                return compound ? CompoundTypes[i % 3] : OpenXmlTypes[i % 3];
            }
        }

        return null;
    }

    private static bool Matches(ReadOnlySpan<byte> content, byte[] magic)
    {
        if (content.Length < magic.Length)
        {
            return false;
        }

        for (int i = 0; i < magic.Length; i++)
        {
            if (magic[i] != (byte)'.' && magic[i] != content[i])
            {
                return false;
            }
        }

        return true;
    }
}
