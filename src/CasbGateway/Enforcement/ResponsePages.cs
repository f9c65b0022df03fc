using System.Net;
using System.Text;
using System.Text.Json;
using CasbCore;
using CasbCore.Model;
using CasbGateway.Hosting;

namespace CasbGateway.Enforcement;

/// <summary>
/// The gateway's own answers (block, no app, upstream errors): a branded HTML page for browsers, a short JSON
/// body for everything else. Every value from configuration or the request is HTML-encoded.
/// </summary>
internal static class ResponsePages
{
    public const string CorrelationHeader = "X-Casb-Correlation-Id";
    public const string BlockTitle = "Access blocked";
    public const string GenericBlockMessage = "Access to this app was blocked because the request could not be evaluated. Try again later or contact your administrator.";
    public const string DefaultBlockMessage = "Access to this app is blocked by your organization's policy.";
    public const string NoAppMessage = "No app is published at this address.";

    /// <summary>The pages' own inline style only; no page may frame them (clickjacking a block page's links).</summary>
    public const string HtmlContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    public static bool WantsHtml(HttpContext context, ClientAppType? clientAppType)
    {
        if (clientAppType == ClientAppType.MobileAndDesktop)
        {
            return false;
        }

        foreach (string? accept in context.Request.Headers.Accept)
        {
            if (accept is not null && (accept.Contains("text/html", StringComparison.OrdinalIgnoreCase)
                || accept.Contains("application/xhtml+xml", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    public static Task WriteAsync(
        HttpContext context,
        int statusCode,
        string error,
        string title,
        string message,
        string? app,
        string correlationId,
        DateTimeOffset at,
        ClientAppType? clientAppType)
    {
        HttpResponse response = context.Response;
        response.Clear();
        response.StatusCode = statusCode;
        response.Headers[CorrelationHeader] = correlationId;
        OwnResponseHeaders.Apply(context);
        if (WantsHtml(context, clientAppType))
        {
            response.ContentType = "text/html; charset=utf-8";
            response.Headers["Content-Security-Policy"] = HtmlContentSecurityPolicy;
            return response.WriteAsync(RenderHtml(title, message, app, correlationId, at), Encoding.UTF8);
        }

        response.ContentType = "application/json; charset=utf-8";
        return response.WriteAsync(RenderJson(error, message, app, correlationId), Encoding.UTF8);
    }

    public static string RenderHtml(string title, string message, string? app, string correlationId, DateTimeOffset at)
    {
        // Shown text: control and bidi characters escaped as in the cmdlets' views, then HTML-encoded.
        static string E(string? value) => WebUtility.HtmlEncode(DisplayText.Safe(value) ?? "");
        var html = new StringBuilder(2048);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        html.Append("<style>body{font-family:Segoe UI,Helvetica,Arial,sans-serif;background:#f3f2f1;color:#323130;margin:0}")
            .Append("main{max-width:40rem;margin:4rem auto;background:#fff;padding:2rem;border-top:4px solid #0078d4}")
            .Append("h1{font-weight:600;margin-top:0}dl{font-size:.85rem;color:#605e5c}dt{font-weight:600}dd{margin:0 0 .5rem 0}</style>");
        html.Append("</head><body><main><p>CASB Conditional Access App Control</p><h1>").Append(E(title)).Append("</h1>");
        html.Append("<p class=\"message\">").Append(E(message)).Append("</p><dl>");
        if (!string.IsNullOrEmpty(app))
        {
            html.Append("<dt>App</dt><dd class=\"app\">").Append(E(app)).Append("</dd>");
        }

        html.Append("<dt>Correlation ID</dt><dd class=\"correlation-id\">").Append(E(correlationId)).Append("</dd>");
        html.Append("<dt>Time (UTC)</dt><dd>").Append(E(at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture)))
            .Append("</dd></dl></main></body></html>\n");
        return html.ToString();
    }

    public static string RenderJson(string error, string message, string? app, string correlationId) =>
        JsonSerializer.Serialize(new JsonBody(error, message, app, correlationId), JsonBodyContext.Default.JsonBody) + "\n";

    internal sealed record JsonBody(string Error, string Message, string? App, string CorrelationId);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ResponsePages.JsonBody))]
internal sealed partial class JsonBodyContext : System.Text.Json.Serialization.JsonSerializerContext
{
}
