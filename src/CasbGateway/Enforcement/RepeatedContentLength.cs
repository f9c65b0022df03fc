using System.Globalization;
using System.Net.Http.Headers;

namespace CasbGateway.Enforcement;

/// <summary>
/// An app's Content-Length sent more than once with one value ("Content-Length: 5" twice, or "5, 5": a PHP or CGI
/// script that sets it and a server that adds it again) is passed on once. HttpClient frames the body by it, but the
/// copy handed Kestrel "5,5", which it refuses as no number: every such response was a 502 "the app cannot be
/// reached", counted against the app, where Chromium and Firefox show the page (RFC 9110 8.6 lets a recipient replace
/// the repeated value with one). Values that differ are left as they are, so Kestrel still refuses them (a 502), as
/// browsers refuse them: a response framed two ways is not passed on.
/// </summary>
internal static class RepeatedContentLength
{
    private const string HeaderName = "Content-Length";

    /// <summary>Replaces a Content-Length whose values all name one length with that one length; any other is left alone.</summary>
    public static void Collapse(HttpContentHeaders headers)
    {
        if (!headers.NonValidated.TryGetValues(HeaderName, out HeaderStringValues values)
            || (values.Count == 1 && !values.ToString().Contains(',', StringComparison.Ordinal)))
        {
            return;
        }

        long? length = null;
        foreach (string value in values)
        {
            foreach (string element in value.Split(','))
            {
                if (!long.TryParse(element.AsSpan().Trim(" \t"), NumberStyles.None, CultureInfo.InvariantCulture, out long parsed)
                    || (length is { } seen && seen != parsed))
                {
                    return;
                }

                length = parsed;
            }
        }

        headers.Remove(HeaderName);
        headers.ContentLength = length;
    }
}
