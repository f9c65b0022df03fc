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
/// inline PDF can be saved as easily), or, without either, a URL whose last segment has an extension a session policy
/// of the session names (/files/q3.xlsx). The name comes from the header (every spelling of it, see
/// <see cref="DispositionFileNames"/>), else from the URL's last segment, as a browser names the file it saves; the
/// size is the file's (<see cref="SizeOf"/>: unknown for a chunked or compressed response, which a size filter then
/// treats as large; a range's whole file).
/// </summary>
internal static class DownloadDetector
{
    private const string HeaderName = "Content-Disposition";

    /// <param name="storesFile">
    /// True for a request that stores a file at a URL it names (a PUT, a WebDAV MOVE or COPY): decided and recorded as an
    /// upload, its answer is a status, not the file its URL names, so it is a download only by a Content-Disposition.
    /// </param>
    public static DownloadFile? DownloadOf(HttpResponseMessage response, RequestPath? path, SessionControls? controls, bool storesFile = false)
    {
        System.Net.Http.Headers.HttpContentHeaders headers = response.Content.Headers;
        string? urlName = LastSegment(path);
        if (headers.TryGetValues(HeaderName, out IEnumerable<string>? values))
        {
            string[] dispositions = values.ToArray();
            var names = new List<string>(2);
            bool download = dispositions.Length > 1; // browsers refuse two; the gateway decides it as a download
            foreach (string disposition in dispositions)
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
                if (names.Count == 0 && urlName is not null)
                {
                    names.Add(urlName);
                }

                return new DownloadFile(names, SizeOf(response));
            }
        }

        // A PUT's URL names the file it stored, a MOVE's or COPY's the file it stored elsewhere: their answer is not that file.
        return urlName is not null && controls is not null && !storesFile && controls.NamesExtensionOf(FileTransferDirection.Download, urlName)
            ? new DownloadFile([urlName], SizeOf(response))
            : null;
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
