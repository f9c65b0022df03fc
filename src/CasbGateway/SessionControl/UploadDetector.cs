using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using CasbCore.Policies;

namespace CasbGateway.SessionControl;

/// <summary>
/// Which requests are uploads, and of which files: the file parts of a multipart/form-data body (their
/// Content-Disposition filename, their size counted), or a request that names its body's file in a
/// Content-Disposition header. Reading a multipart body buffers it (to disk past 64 KiB) and rewinds it, so the
/// upstream still receives every byte.
/// </summary>
internal static class UploadDetector
{
    private const int MemoryThreshold = 64 * 1024;

    /// <summary>True when the request may carry a file: a body-bearing method with a multipart body or a Content-Disposition.</summary>
    public static bool MayCarryFiles(HttpRequest request) =>
        (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method))
        && (IsMultipart(request) || request.Headers.ContainsKey(HeaderNames.ContentDisposition));

    public static async Task<IReadOnlyList<FileTransfer>> ReadUploadsAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!IsMultipart(request))
        {
            string? name = ContentDispositionHeaderValue.TryParse(request.Headers.ContentDisposition.ToString(), out ContentDispositionHeaderValue? header)
                ? FileNameOf(header)
                : null;
            return [new FileTransfer(FileTransferDirection.Upload, name, request.ContentLength)];
        }

        string? boundary = MediaTypeHeaderValue.TryParse(request.ContentType, out MediaTypeHeaderValue? mediaType)
            ? HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value
            : null;
        if (string.IsNullOrEmpty(boundary))
        {
            // A multipart body without a boundary cannot be read: a file of unknown name and size (fail closed).
            return [new FileTransfer(FileTransferDirection.Upload, null, request.ContentLength)];
        }

        request.EnableBuffering(MemoryThreshold);
        var uploads = new List<FileTransfer>();
        try
        {
            var reader = new MultipartReader(boundary, request.Body);
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                long size = await CountAsync(section.Body, cancellationToken);
                if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out ContentDispositionHeaderValue? disposition)
                    && (disposition.FileName.HasValue || disposition.FileNameStar.HasValue))
                {
                    uploads.Add(new FileTransfer(FileTransferDirection.Upload, FileNameOf(disposition), size));
                }
            }
        }
        catch (InvalidDataException)
        {
            // A malformed body still reaches the upstream as it is: decide it as a file of unknown name and size.
            uploads.Add(new FileTransfer(FileTransferDirection.Upload, null, null));
        }
        finally
        {
            request.Body.Position = 0;
        }

        return uploads;
    }

    private static bool IsMultipart(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase);

    private static string? FileNameOf(ContentDispositionHeaderValue disposition)
    {
        string? name = HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value;
        if (string.IsNullOrWhiteSpace(name))
        {
            name = HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
        }

        return string.IsNullOrWhiteSpace(name) ? null : name;
    }

    private static async Task<long> CountAsync(Stream body, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[16 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
        }

        return total;
    }
}
