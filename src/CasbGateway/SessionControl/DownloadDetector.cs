using System.Net.Http.Headers;
using CasbCore.Policies;

namespace CasbGateway.SessionControl;

/// <summary>One download as the response and its URL describe it: every spelling of its name, and its size.</summary>
internal sealed record DownloadFile(IReadOnlyList<string> Names, long? SizeBytes)
{
    /// <summary>The name a browser saves the file under (filename* first, then filename, then the URL), or null.</summary>
    public string? SavedAs => Names.Count > 0 ? DispositionFileNames.LeafName(Names[0]) : null;
}

/// <summary>
/// Which upstream responses are downloads: a Content-Disposition of type attachment, or one that names a file (an
/// inline PDF can be saved as easily); a successful response of a type a browser cannot show and saves
/// (<see cref="DownloadContentTypes"/>: executables, archives, Office documents, CSV, application/octet-stream); or,
/// without either, a URL whose last segment, or a name its type (a PDF) or the browser's sniffing (a body of no declared
/// type may be saved as a zip, a gzip or a PDF) gives it, has an extension a session policy of the session names
/// (/files/q3.xlsx; /export as an undeclared type under a policy naming zip). The names are every one the
/// browser may save the file under: the header's (every spelling of it, see <see cref="DispositionFileNames"/>), else
/// the URL's last segment, and each with the extension its Content-Type gives it (download.exe for /download?id=5 as
/// application/x-msdownload). A text/plain body is decided by its first bytes (<see cref="IsSniffedTextPlain"/>,
/// <see cref="SniffedDownloadOf"/>). The size is the file's (<see cref="SizeOf"/>: unknown for a chunked or compressed
/// response, which a size filter then treats as large; a range's whole file).
/// </summary>
internal static class DownloadDetector
{
    private const string HeaderName = "Content-Disposition";

    /// <param name="storesFile">
    /// True for a request that stores a file at a URL it names (a PUT, a WebDAV MOVE or COPY): decided and recorded as an
    /// upload, its answer is a status, not the file its URL names, so it is a download only by a Content-Disposition.
    /// </param>
    /// <param name="fetchesFile">
    /// True for a GET (a link followed, an address typed): its answer of no declared type is what the browser sniffs
    /// and may save. The answer of a form or an upload (a POST) that declares no type is taken for a page.
    /// </param>
    public static DownloadFile? DownloadOf(HttpResponseMessage response, RequestPath? path, SessionControls? controls, bool storesFile = false, bool fetchesFile = true)
    {
        System.Net.Http.Headers.HttpContentHeaders headers = response.Content.Headers;
        string contentType = ContentTypeOf(headers);
        if (headers.TryGetValues(HeaderName, out IEnumerable<string>? values))
        {
            string[] dispositions = values.ToArray();
            var names = new List<string>(2);
            bool download = dispositions.Length > 1; // browsers refuse two; the gateway decides it as a download
            foreach (string sent in dispositions)
            foreach (string disposition in DispositionFileNames.Readings(sent))
            {
                if (!DispositionFileNames.TryRead(disposition, out var parsed, out bool namesFile, names, out _))
                {
                    download = true; // a header that does not parse, or reads two ways, still sends a file (fail closed)
                    continue;
                }

                download |= namesFile || parsed!.DispositionType.Equals("attachment", StringComparison.OrdinalIgnoreCase);
            }

            if (download)
            {
                if (names.Count == 0)
                {
                    // No name in the header: the browser names the file after the URL, by its type when the URL gives no extension.
                    return new DownloadFile(UrlNames(LastSegment(path), storesFile ? null : contentType), SizeOf(response));
                }

                // Chromium saves a header's name as it is; Firefox gives one without the declared type's extension that extension.
                if (!storesFile && DownloadContentTypes.Find(contentType) is not null)
                {
                    foreach (string name in names.ToArray())
                    {
                        DownloadContentTypes.AddTypedNames(names, name, contentType);
                    }
                }

                return new DownloadFile(names, SizeOf(response));
            }
        }

        if (storesFile)
        {
            return null; // a PUT's URL names the file it stored, a MOVE's or COPY's the file it stored elsewhere: their answer is not that file
        }

        DownloadContentTypes.Entry? type = DownloadContentTypes.Find(contentType);
        if (type is { Saved: true })
        {
            // A body the browser cannot show is saved, whatever its URL: decided under every name it may get.
            return IsSaved(response) ? new DownloadFile(UrlNames(LastSegment(path), contentType), SizeOf(response)) : null;
        }

        // A page, a PDF the browser shows, or a body of no declared type the browser sniffs (it saves what it finds binary,
        // as a zip, a gzip, a PDF or under its URL's name): a download when a session policy names the extension of a
        // name it may be saved under. The gateway does not read bodies, so an undeclared one is not a download by itself.
        bool typed = type is not null || (fetchesFile && IsSniffedIntoAFile(response, contentType));
        if (controls is null || (!typed && !MayHaveExtension(path)))
        {
            return null; // no allocation: the common page at a path whose last segment has no extension in any spelling
        }

        string? urlName = LastSegment(path);
        if (urlName is not null && controls.NamesExtensionOf(FileTransferDirection.Download, urlName))
        {
            return new DownloadFile(UrlNames(urlName, typed ? contentType : null), SizeOf(response));
        }

        if (typed && IsSaved(response))
        {
            List<string> names = UrlNames(urlName, contentType);
            foreach (string name in names)
            {
                if (controls.NamesExtensionOf(FileTransferDirection.Download, name))
                {
                    return new DownloadFile(names, SizeOf(response));
                }
            }
        }

        return null;
    }

    /// <summary>
    /// True for a response the browser sniffs for binary although it declares a type: a successful GET (not 204/205)
    /// declared <c>text/plain</c> (any parameters, any case) without <c>X-Content-Type-Options: nosniff</c>, with a body.
    /// Its first bytes decide (<see cref="TextPlainSniffer"/>); any other response is not read. No allocation.
    /// </summary>
    public static bool IsSniffedTextPlain(HttpResponseMessage response, bool fetchesFile) =>
        fetchesFile && IsSaved(response) && TextPlainSniffer.IsTextPlain(ContentTypeOf(response.Content.Headers))
        && !HasNoSniff(response) && response.Content.Headers.ContentLength is not 0;

    /// <summary>
    /// The download a text/plain body the browser sniffed is, or null for one it shows: a type it cannot show is saved
    /// under the URL's name (the name with the type's extension, and with .exe for an executable, beside it); a PDF it
    /// shows is a download when a session policy names the extension of a name it may be saved under, as a declared PDF.
    /// A null <paramref name="sniffed"/> (the body could not be read) is decided as a download: fail closed.
    /// </summary>
    public static DownloadFile? SniffedDownloadOf(HttpResponseMessage response, RequestPath? path, SessionControls controls, TextPlainSniffer.Result? sniffed)
    {
        ArgumentNullException.ThrowIfNull(controls);
        string? urlName = LastSegment(path);
        var names = new List<string>(3);
        if (urlName is not null)
        {
            FileNameSpellings.Add(names, urlName);
        }

        if (sniffed is null)
        {
            return new DownloadFile(names, SizeOf(response));
        }

        if (!sniffed.Saved && DownloadContentTypes.Find(sniffed.MediaType) is null)
        {
            return null; // text, an image, a player: shown
        }

        TextPlainSniffer.AddSniffedNames(names, urlName, sniffed);

        if (sniffed.Saved)
        {
            return new DownloadFile(names, SizeOf(response));
        }

        foreach (string name in names)
        {
            if (controls.NamesExtensionOf(FileTransferDirection.Download, name))
            {
                return new DownloadFile(names, SizeOf(response));
            }
        }

        return null;
    }

    /// <summary>
    /// The names a browser saves a file from this URL under: the name its type gives it first when the URL's name has no
    /// extension (Chromium: "download" becomes download.exe), the URL's name first otherwise (a query makes Chromium take
    /// the type's name, which is among the names either way), and the URL's name first for a type the browser sniffs.
    /// </summary>
    private static List<string> UrlNames(string? urlName, string? contentType)
    {
        var names = new List<string>(2);
        bool typedFirst = (urlName is null || FileTransfer.ExtensionOf(urlName).Length == 0)
            && contentType is not null && DownloadContentTypes.Find(contentType) is { Extensions.Length: > 0 };
        if (urlName is not null && !typedFirst)
        {
            FileNameSpellings.Add(names, urlName);
        }

        DownloadContentTypes.AddTypedNames(names, urlName, contentType);
        if (urlName is not null)
        {
            FileNameSpellings.Add(names, urlName);
        }

        return names;
    }

    /// <summary>
    /// True for a response of no declared type (none, unknown/unknown, */*) without <c>X-Content-Type-Options: nosniff</c>:
    /// the browser sniffs its bytes, and saves what it finds binary (or a zip, a gzip, a PDF). With nosniff it shows it
    /// as text/plain.
    /// </summary>
    private static bool IsSniffedIntoAFile(HttpResponseMessage response, string contentType)
    {
        if (!DownloadContentTypes.IsUndeclared(contentType))
        {
            return false;
        }

        return !HasNoSniff(response) && response.Content.Headers.ContentLength is not 0;
    }

    /// <summary>True when the response says <c>X-Content-Type-Options: nosniff</c>: the browser keeps the declared type.</summary>
    private static bool HasNoSniff(HttpResponseMessage response)
    {
        if (response.Headers.NonValidated.TryGetValues("X-Content-Type-Options", out HeaderStringValues options))
        {
            foreach (string option in options)
            {
                if (option.AsSpan().Trim().Equals("nosniff", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>True for a response a browser saves a file from: a success with a body (not 204 or 205); an error page is shown, not saved.</summary>
    private static bool IsSaved(HttpResponseMessage response) =>
        response.IsSuccessStatusCode && response.StatusCode is not (System.Net.HttpStatusCode.NoContent or System.Net.HttpStatusCode.ResetContent);

    /// <summary>
    /// The Content-Type as sent, "" when there is none (or two, which browsers read differently): an undeclared type
    /// the browser sniffs. Read without parsing or allocating.
    /// </summary>
    private static string ContentTypeOf(System.Net.Http.Headers.HttpContentHeaders headers)
    {
        if (!headers.NonValidated.TryGetValues("Content-Type", out HeaderStringValues values))
        {
            return "";
        }

        if (values.Count == 1)
        {
            foreach (string value in values)
            {
                return value;
            }
        }

        return ""; // two Content-Types: browsers disagree on which counts; treated as undeclared (sniffed), so as a download
    }

    /// <summary>
    /// False when the URL's last segment has no extension in any spelling (no '.', and nothing a reader decodes into one):
    /// checked without allocating, as most pages' paths (/, /app/dashboard) are.
    /// </summary>
    private static bool MayHaveExtension(RequestPath? path)
    {
        ReadOnlySpan<char> value = path is null ? default : path.Value.AsSpan().TrimEnd('/');
        ReadOnlySpan<char> segment = value[(value.LastIndexOf('/') + 1)..];
        return segment.IndexOfAny('.', '%', ':') >= 0 || segment.IndexOfAny('&', '=') >= 0 || segment.IndexOfAnyInRange('\0', '\x1F') >= 0;
    }

    /// <summary>
    /// The size of the file the client saves, or null when this response does not say it: a range (206) is part of a
    /// file the client can fetch whole a range at a time, so its Content-Range's complete length counts; a body with a
    /// Content-Encoding is saved decoded, larger than its Content-Length. A size filter treats null as large.
    /// </summary>
    internal static long? SizeOf(HttpResponseMessage response)
    {
        System.Net.Http.Headers.HttpContentHeaders headers = response.Content.Headers;
        if (headers.TryGetValues("Content-Encoding", out IEnumerable<string>? encodings) && UploadDetector.IsEncoded(encodings))
        {
            return null;
        }

        return response.StatusCode == System.Net.HttpStatusCode.PartialContent ? headers.ContentRange?.Length : headers.ContentLength;
    }

    /// <summary>
    /// The decoded last segment of the canonical path, a trailing '/' dropped ("/files/setup.exe/" is setup.exe: SabreDAV,
    /// behind Nextcloud and ownCloud, trims it and stores or serves that file), or null for the root.
    /// </summary>
    internal static string? LastSegment(RequestPath? path)
    {
        string? value = path?.Value.TrimEnd('/');
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        string segment = value[(value.LastIndexOf('/') + 1)..];
        return segment.Length == 0 ? null : segment;
    }
}
