using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using CasbCore.Policies;

namespace CasbGateway.SessionControl;

/// <summary>
/// Which requests are uploads: a request with a body (any method) that is multipart (its file parts are then decided
/// as they stream, <see cref="MultipartUploadStream"/>) or has a Content-Disposition header naming the body's file, or
/// another header that names it (X-File-Name, X-Filename, Slug, tus Upload-Metadata), or a PUT to a URL that names a
/// file a session policy names the extension of.
/// </summary>
internal static class UploadDetector
{
    /// <summary>
    /// True when the request may carry a file, whatever its method: a multipart body, or a body (of any length, even
    /// none) that names its file in a Content-Disposition. Not only POST, PUT and PATCH: ASP.NET Core's Request.Form, Rack, Werkzeug and multer
    /// read the files of a DELETE, a GET with a body or a made-up method as well, for an endpoint mapped for any method.
    /// </summary>
    /// <remarks>
    /// A body of no bytes is a file too (an empty setup.exe is still setup.exe): only a multipart body needs bytes to
    /// carry one. A PUT stores its body at its URL (RFC 9110; WebDAV, S3), so a PUT to a URL whose last segment a session policy of
    /// the session controls uploads of (by its extension, or a policy with no extension filter: every upload) is an upload
    /// of that file too.
    /// </remarks>
    public static bool MayCarryFiles(HttpRequest request, RequestPath? path, SessionControls controls) =>
        (IsMultipart(request) && (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true))
        || request.Headers.ContainsKey(HeaderNames.ContentDisposition)
        || NamesFileInHeader(request)
        || IsPutOfNamedFile(request, path, controls)
        || IsCopyToNamedFile(request, controls);

    /// <summary>
    /// A WebDAV MOVE or COPY stores a file under its Destination (Nextcloud's web client MOVEs uploaded chunks to the
    /// file's name; a client can PUT notes.txt and MOVE it to setup.exe): an upload of that name when a session policy of
    /// the session controls uploads of it (see <see cref="SessionControls.ControlsUploadOf"/>), or when the Destination cannot be read (refused, fail closed).
    /// </summary>
    private static bool IsCopyToNamedFile(HttpRequest request, SessionControls controls) =>
        IsCopyOrMove(request)
        && (!TryDestination(request, out string? name, out _) || controls.ControlsUploadOf(name));

    private const string DestinationHeader = "Destination";

    /// <summary>
    /// Headers in which raw-body uploads name their file: X-File-Name and X-Filename (fine-uploader, jQuery File Upload,
    /// many hand-written endpoints; sent as is or percent-encoded), Slug (AtomPub, RFC 5023: percent-encoded).
    /// </summary>
    private static readonly string[] NameHeaders = ["X-File-Name", "X-Filename", "Slug"];

    /// <summary>tus: the creating POST names the file in <c>Upload-Metadata: filename &lt;base64&gt;,...</c>; PATCHes then send its bytes.</summary>
    private const string UploadMetadataHeader = "Upload-Metadata";

    /// <summary>True when a header other than Content-Disposition names the body's file (<see cref="NameHeaders"/>, tus Upload-Metadata).</summary>
    public static bool NamesFileInHeader(HttpRequest request)
    {
        foreach (string header in NameHeaders)
        {
            if (request.Headers.ContainsKey(header))
            {
                return true;
            }
        }

        return request.Headers.ContainsKey(UploadMetadataHeader);
    }

    /// <summary>
    /// Adds every name the headers of <see cref="NamesFileInHeader"/> give the file (each value, as sent and decoded:
    /// <see cref="FileNameSpellings"/> adds the %XX reading), or false with why one cannot be read: a tus metadata value
    /// that is not base64, which a server reads as some name the gateway cannot know.
    /// </summary>
    private static bool TryAddHeaderNames(HttpRequest request, List<string> names, out string? problem)
    {
        problem = null;
        foreach (string header in NameHeaders)
        {
            foreach (string? value in request.Headers[header])
            {
                FileNameSpellings.Add(names, value?.Trim());
            }
        }

        foreach (string? metadata in request.Headers[UploadMetadataHeader])
        {
            foreach (string pair in (metadata ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                int space = pair.IndexOf(' ');
                string key = space < 0 ? pair : pair[..space];
                if (!key.Equals("filename", StringComparison.OrdinalIgnoreCase) && !key.Equals("name", StringComparison.OrdinalIgnoreCase))
                {
                    continue; // tus-js-client and Uppy send filename and name; filetype and the rest name no file
                }

                byte[] bytes = new byte[pair.Length];
                if (space < 0 || !Convert.TryFromBase64String(pair[(space + 1)..].Trim(), bytes, out int written))
                {
                    problem = $"its {UploadMetadataHeader} has a {key} that is not base64";
                    return false;
                }

                FileNameSpellings.Add(names, System.Text.Encoding.UTF8.GetString(bytes, 0, written));
            }
        }

        return true;
    }

    /// <summary>The size tus declares for the whole upload (Upload-Length; its POST's own body is a part or nothing), or null.</summary>
    private static long? UploadLength(HttpRequest request) =>
        request.Headers.ContainsKey(UploadMetadataHeader)
            ? long.TryParse(request.Headers["Upload-Length"].ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long length) ? length : null
            : request.ContentLength;

    /// <summary>True for a request that stores a file at a URL it names: a PUT, or a WebDAV MOVE or COPY (in any case).</summary>
    public static bool StoresFileAtUrl(HttpRequest request) => HttpMethods.IsPut(request.Method) || IsCopyOrMoveMethod(request.Method);

    /// <summary>True for WebDAV's MOVE and COPY (in any case: a server may match methods ignoring it) with a Destination.</summary>
    public static bool IsCopyOrMove(HttpRequest request) => IsCopyOrMoveMethod(request.Method) && request.Headers.ContainsKey(DestinationHeader);

    private static bool IsCopyOrMoveMethod(string method) =>
        method.Equals("MOVE", StringComparison.OrdinalIgnoreCase) || method.Equals("COPY", StringComparison.OrdinalIgnoreCase);

    /// <summary>The last segment of the one Destination's canonical path (a trailing '/' dropped; null for the root), or false with why it cannot be read.</summary>
    private static bool TryDestination(HttpRequest request, out string? name, out string? problem)
    {
        name = null;
        StringValues values = request.Headers[DestinationHeader];
        if (values.Count != 1)
        {
            problem = "it has two Destination headers";
            return false;
        }

        if (!RequestPath.TryParse(values[0]?.Trim(), out RequestPath? destination, out string? pathProblem))
        {
            problem = $"its Destination is ambiguous: {pathProblem}";
            return false;
        }

        name = DownloadDetector.LastSegment(destination);
        problem = null;
        return true;
    }

    private static bool IsPutOfNamedFile(HttpRequest request, RequestPath? path, SessionControls controls) =>
        HttpMethods.IsPut(request.Method) && controls.ControlsUploadOf(DownloadDetector.LastSegment(path));

    public static bool IsMultipart(HttpRequest request)
    {
        foreach (string? type in request.Headers.ContentType)
        {
            if (type is not null && type.TrimStart().StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when the body has a Content-Encoding other than identity: an upstream that decompresses it (ASP.NET Core's
    /// request decompression, Apache's mod_deflate) reads other bytes than the gateway sees, and more of them.
    /// </summary>
    public static bool IsEncoded(HttpRequest request) => IsEncoded(request.Headers.ContentEncoding);

    /// <summary>True when the Content-Encoding values (a request's or a response's) name a coding other than identity.</summary>
    internal static bool IsEncoded(IEnumerable<string?> contentEncodings)
    {
        foreach (string? value in contentEncodings)
        {
            foreach (string coding in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The boundary of a multipart body, or null with why it cannot be read unambiguously: two Content-Type headers
    /// or two boundary parameters (servers take the first or the last), or a boundary RFC 2046 does not allow.
    /// </summary>
    public static string? BoundaryOf(HttpRequest request, out string? problem)
    {
        problem = null;
        StringValues types = request.Headers.ContentType;
        if (types.Count != 1 || !MediaTypeHeaderValue.TryParse(types[0], out MediaTypeHeaderValue? mediaType))
        {
            problem = types.Count > 1 ? "it has two Content-Type headers" : "its Content-Type does not parse";
            return null;
        }

        if (mediaType.Parameters.Count(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase)) != 1)
        {
            problem = "its Content-Type does not give exactly one boundary";
            return null;
        }

        string boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).ToString();
        if (!MultipartUploadStream.IsValidBoundary(boundary))
        {
            problem = "its boundary is not one RFC 2046 allows";
            return null;
        }

        return boundary;
    }

    /// <summary>
    /// A body that names its file in a Content-Disposition header (a PUT of one file): decided from its headers, of
    /// Content-Length bytes (unknown when chunked or encoded: a size filter then matches), under every spelling of its name. <paramref name="problem"/> says why an ambiguous header
    /// is refused.
    /// </summary>
    public static FileDecision? DecideNamedBody(HttpRequest request, RequestPath? path, Func<FileTransfer, FileDecision> decide, out string? problem)
    {
        problem = null;
        bool copy = IsCopyOrMove(request);
        string? destination = null;
        if (copy && !TryDestination(request, out destination, out problem))
        {
            return null;
        }

        StringValues headers = request.Headers.ContentDisposition;
        if (headers.Count > 1)
        {
            problem = "it has two Content-Disposition headers";
            return null;
        }

        var names = new List<string>(2);
        if (headers.Count == 1 && !DispositionFileNames.TryRead(headers.ToString(), out _, out _, names, out problem))
        {
            return null;
        }

        if (!TryAddHeaderNames(request, names, out problem))
        {
            return null;
        }

        if (HttpMethods.IsPut(request.Method) && DownloadDetector.LastSegment(path) is { } stored && !names.Contains(stored, StringComparer.Ordinal))
        {
            names.Add(stored); // where a PUT's body is stored (WebDAV), whatever its Content-Disposition says
        }

        if (destination is not null && !names.Contains(destination, StringComparer.Ordinal))
        {
            names.Add(destination); // where a MOVE or COPY stores the file, of a size its request does not give
        }

        return FileDecisions.Strictest(decide, FileTransferDirection.Upload, names, copy || IsEncoded(request) ? null : UploadLength(request));
    }
}
