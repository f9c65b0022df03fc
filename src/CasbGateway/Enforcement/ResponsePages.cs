using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
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
        ClientAppType? clientAppType,
        BlockDetail? detail = null)
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
            return response.WriteAsync(RenderHtml(title, message, app, correlationId, at, detail), Encoding.UTF8);
        }

        response.ContentType = "application/json; charset=utf-8";
        return response.WriteAsync(RenderJson(error, message, app, correlationId, detail), Encoding.UTF8);
    }

    /// <summary>
    /// The page's one script (shows the "Copy details" button and copies the details), allowed by its hash: nothing
    /// else runs, nothing is loaded from anywhere.
    /// </summary>
    internal const string CopyScript =
        "(function(){var b=document.getElementById('copy'),t=document.getElementById('details'),s=document.getElementById('copied');"
        + "if(!b||!t)return;b.hidden=false;b.addEventListener('click',function(){t.select();"
        + "var done=function(){s.textContent='Copied.';};"
        + "if(navigator.clipboard){navigator.clipboard.writeText(t.value).then(done,function(){document.execCommand('copy');done();});}"
        + "else{document.execCommand('copy');done();}});})();";

    /// <summary>
    /// The pages' own inline style and their one script (by hash) only; nothing loads from anywhere; no page may frame
    /// them (clickjacking a block page's links).
    /// </summary>
    public static readonly string HtmlContentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-"
        + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(CopyScript)))
        + "'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private const string Style =
        "*{box-sizing:border-box}"
        + "body{font-family:\"Segoe UI\",system-ui,-apple-system,Helvetica,Arial,sans-serif;background:#f3f2f1;color:#201f1e;margin:0;line-height:1.5;font-size:1rem}"
        + "main{max-width:40rem;margin:0 auto;background:#fff;padding:1.25rem;border-top:4px solid #0078d4}"
        + "@media (min-width:42rem){main{margin:3rem auto;padding:2rem 2.5rem}}"
        + ".product{margin:0 0 .5rem;font-size:.875rem;color:#484644}"
        + "h1{font-size:1.75rem;font-weight:600;margin:0 0 1rem}"
        + "h2{font-size:1.125rem;font-weight:600;margin:1.75rem 0 .5rem}"
        + ".message{font-size:1.25rem;font-weight:600;margin:0 0 1rem;padding:1rem;background:#fdf6f6;border-left:4px solid #a4262c;overflow-wrap:anywhere}"
        + ".reason-text{margin:0 0 .75rem}"
        + "dl{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;font-size:.9375rem}"
        + "dt{font-weight:600;color:#323130}dd{margin:0;color:#323130;overflow-wrap:anywhere}"
        + "@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}"
        + "label{display:block;font-weight:600;margin:1rem 0 .25rem}"
        + "textarea{width:100%;font-family:ui-monospace,Consolas,\"Liberation Mono\",monospace;font-size:.875rem;color:#201f1e;background:#faf9f8;border:1px solid #8a8886;padding:.5rem;resize:vertical;field-sizing:content}"
        + "button{margin-top:.5rem;font:inherit;font-weight:600;color:#fff;background:#005a9e;border:0;padding:.5rem 1rem;cursor:pointer}"
        + "button:focus-visible,textarea:focus-visible{outline:3px solid #201f1e;outline-offset:2px}"
        + ".copied{margin-left:.75rem;color:#107c10}";

    public static string RenderHtml(string title, string message, string? app, string correlationId, DateTimeOffset at, BlockDetail? detail = null)
    {
        // Shown text: control and bidi characters escaped as in the cmdlets' views, then HTML-encoded.
        static string E(string? value) => WebUtility.HtmlEncode(DisplayText.Safe(value) ?? "");
        string time = Timestamp(at);
        var html = new StringBuilder(4096);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        html.Append("<title>").Append(E(title)).Append("</title>");
        html.Append("<style>").Append(Style).Append("</style></head><body><main>");
        html.Append("<p class=\"product\">CASB Conditional Access App Control</p><h1>").Append(E(title)).Append("</h1>");
        html.Append("<p class=\"message\">").Append(E(message)).Append("</p>");

        if (detail is not null)
        {
            html.Append("<section aria-labelledby=\"why\"><h2 id=\"why\">Why you see this page</h2>");
            html.Append("<p class=\"reason-text\">").Append(E(detail.Explanation)).Append("</p>");
            if (detail.CertificateSubject is not null)
            {
                html.Append("<dl class=\"certificate\"><dt>Certificate</dt><dd class=\"certificate-subject\">").Append(E(detail.CertificateSubject)).Append("</dd>");
                if (detail.CertificateNotBefore is { } notBefore && notBefore > at)
                {
                    html.Append("<dt>Valid from</dt><dd class=\"certificate-not-before\">").Append(E(Timestamp(notBefore))).Append("</dd>");
                }

                if (detail.CertificateNotAfter is { } notAfter)
                {
                    html.Append("<dt>").Append(notAfter < at ? "Expired" : "Expires").Append("</dt><dd class=\"certificate-not-after\">")
                        .Append(E(Timestamp(notAfter))).Append("</dd>");
                }

                html.Append("</dl>");
            }

            html.Append("</section>");
        }

        html.Append("<section aria-labelledby=\"help\"><h2 id=\"help\">If you need help</h2>");
        html.Append("<p>Give your helpdesk the details below; the correlation ID lets them find this request.</p><dl class=\"details\">");
        if (!string.IsNullOrEmpty(app))
        {
            html.Append("<dt>App</dt><dd class=\"app\">").Append(E(app)).Append("</dd>");
        }

        html.Append("<dt>Correlation ID</dt><dd class=\"correlation-id\">").Append(E(correlationId)).Append("</dd>");
        html.Append("<dt>Time (UTC)</dt><dd class=\"time\">").Append(E(time)).Append("</dd></dl>");

        string details = CopyText(title, message, app, correlationId, time, detail);
        // Room for the lines and some wrapping where the browser cannot size the box to its content.
        int rows = details.Count(c => c == '\n') + 3;
        html.Append("<label for=\"details\">Details to copy</label><textarea id=\"details\" class=\"copy-details\" readonly rows=\"")
            .Append(rows.ToString(CultureInfo.InvariantCulture)).Append("\">").Append(WebUtility.HtmlEncode(details)).Append("</textarea>");
        html.Append("<button type=\"button\" id=\"copy\" hidden>Copy details</button><span id=\"copied\" class=\"copied\" role=\"status\"></span>");
        html.Append("</section></main><script>").Append(CopyScript).Append("</script></body></html>\n");
        return html.ToString();
    }

    /// <summary>
    /// The helpdesk's view: plain text, one fact a line, with the reason code they can search for. Each value is made
    /// display-safe on its own (a line break in it shows as \n), so the only real line breaks are the ones between facts.
    /// </summary>
    internal static string CopyText(string title, string message, string? app, string correlationId, string time, BlockDetail? detail)
    {
        var text = new StringBuilder();
        text.Append(DisplayText.Safe(title)).Append(": ").Append(DisplayText.Safe(message));
        if (!string.IsNullOrEmpty(app))
        {
            text.Append("\nApp: ").Append(DisplayText.Safe(app));
        }

        text.Append("\nCorrelation ID: ").Append(DisplayText.Safe(correlationId)).Append("\nTime: ").Append(time);
        if (detail is not null)
        {
            text.Append("\nReason: ").Append(detail.ReasonCode);
            if (detail.CertificateSubject is not null)
            {
                text.Append("\nCertificate: ").Append(DisplayText.Safe(detail.CertificateSubject));
            }

            if (detail.CertificateNotBefore is { } notBefore)
            {
                text.Append("\nValid from: ").Append(Timestamp(notBefore));
            }

            if (detail.CertificateNotAfter is { } notAfter)
            {
                text.Append("\nValid until: ").Append(Timestamp(notAfter));
            }
        }

        return text.ToString();
    }

    private static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string RenderJson(string error, string message, string? app, string correlationId, BlockDetail? detail = null) =>
        JsonSerializer.Serialize(
            new JsonBody(error, message, app, correlationId, detail?.ReasonCode, detail?.Explanation), JsonBodyContext.Default.JsonBody) + "\n";

    internal sealed record JsonBody(
        string Error,
        string Message,
        string? App,
        string CorrelationId,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReasonText);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ResponsePages.JsonBody))]
internal sealed partial class JsonBodyContext : System.Text.Json.Serialization.JsonSerializerContext
{
}
