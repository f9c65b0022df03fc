using System.Globalization;
using System.Text;
using Microsoft.Net.Http.Headers;
using CasbGateway.Enforcement;
using CasbGateway.Hosting;

namespace CasbGateway.SessionControl;

/// <summary>
/// What a blocked download becomes, as in Defender for Cloud Apps: a small text file named after the original
/// (<c>report.xlsx.blocked.txt</c>) holding the block message and the correlation id. It is a 200 attachment, since
/// browsers save a download only from a successful response; the activity record says Block.
/// </summary>
internal static class BlockedDownloadFile
{
    public const string Suffix = ".blocked.txt";

    /// <summary>The replacement's name: the original's leaf name (or "download") with <see cref="Suffix"/>.</summary>
    public static string NameFor(string? savedAs) => (DispositionFileNames.LeafName(savedAs) ?? "download") + Suffix;

    public static string Text(string? savedAs, string message, string? app, string correlationId, DateTimeOffset at)
    {
        string what = DispositionFileNames.LeafName(savedAs) is { } name ? $"'{name}'" : "this file";
        return new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"The download of {what}{(app is null ? "" : $" from {app}")} was blocked.\r\n\r\n")
            .Append(message).Append("\r\n\r\n")
            .Append(CultureInfo.InvariantCulture, $"Correlation id: {correlationId}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Time: {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC\r\n")
            .ToString();
    }

    public static Task WriteAsync(HttpContext context, string? savedAs, string message, string? app, string correlationId, DateTimeOffset at)
    {
        HttpResponse response = context.Response;
        response.Clear();
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers[ResponsePages.CorrelationHeader] = correlationId;
        OwnResponseHeaders.Apply(context);
        response.ContentType = "text/plain; charset=utf-8";
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(NameFor(savedAs)); // filename (ASCII) and filename* (UTF-8), as browsers read them
        response.Headers.ContentDisposition = disposition.ToString();
        byte[] body = Encoding.UTF8.GetBytes(Text(savedAs, message, app, correlationId, at));
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }
}
