namespace CasbGateway.Hosting;

/// <summary>
/// Security headers on every response the gateway writes itself (block and error pages, health, metrics). Never on
/// an app's proxied response: framing, referrer and transport policy are the app's to set for its own pages.
/// </summary>
internal static class OwnResponseHeaders
{
    /// <summary>For bodies that are not HTML: nothing may load, and no page may frame them.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>One year; no includeSubDomains, since sibling hosts may be apps the gateway does not serve.</summary>
    public const string StrictTransportSecurity = "max-age=31536000";

    public static void Apply(HttpContext context)
    {
        IHeaderDictionary headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = StrictTransportSecurity;
        }
    }
}
