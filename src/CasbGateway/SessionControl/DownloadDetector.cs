using System.Net.Http.Headers;
using CasbCore.Policies;

namespace CasbGateway.SessionControl;

/// <summary>
/// Which upstream responses are downloads: a Content-Disposition of type attachment, or any Content-Disposition
/// that names a file (an inline PDF can be saved as easily). The file name is the header's (filename* first),
/// the size its Content-Length (unknown for a chunked response, which a size filter then treats as large).
/// </summary>
internal static class DownloadDetector
{
    private const string HeaderName = "Content-Disposition";

    public static FileTransfer? DownloadOf(HttpResponseMessage response)
    {
        HttpContentHeaders headers = response.Content.Headers;
        if (!headers.Contains(HeaderName))
        {
            return null;
        }

        ContentDispositionHeaderValue? disposition;
        try
        {
            disposition = headers.ContentDisposition;
        }
        catch (FormatException)
        {
            disposition = null;
        }

        if (disposition is null)
        {
            // A Content-Disposition that does not parse still sends a file: a download of unknown name (fail closed).
            return new FileTransfer(FileTransferDirection.Download, null, headers.ContentLength);
        }

        string? fileName = Unquote(disposition.FileNameStar) ?? Unquote(disposition.FileName);
        bool attachment = string.Equals(disposition.DispositionType, "attachment", StringComparison.OrdinalIgnoreCase);
        return attachment || fileName is not null
            ? new FileTransfer(FileTransferDirection.Download, fileName, headers.ContentLength)
            : null;
    }

    private static string? Unquote(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        string trimmed = value.Trim();
        return trimmed.Length >= 2 && trimmed[0] == '"' && trimmed[^1] == '"' ? trimmed[1..^1] : trimmed;
    }
}
