using System.Net.Http.Headers;

namespace CasbGateway.SessionControl;

/// <summary>
/// The request's Accept-Encoding narrowed to the content codings the gateway can decode (gzip, x-gzip, deflate, br,
/// identity), for a session under session control: the gateway reads the first bytes of a text/plain body the browser
/// sniffs (<see cref="BodyPeek"/>), and a body in a coding it cannot decode is decided as a download (fail closed).
/// Chromium offers zstd (and dcb, dcz with a compression dictionary), which .NET 10 cannot decode: an app that chose it
/// (Caddy's encode zstd gzip, nginx's zstd module) turned a text/plain page into a blocked download under BlockDownloads.
/// The app then answers in a coding the gateway reads, or none: what the user sees is the same.
/// </summary>
internal static class DecodableCodings
{
    private const string HeaderName = "Accept-Encoding";

    /// <summary>Removes every offered coding the gateway cannot decode; leaves the header as it is when there is none (no allocation).</summary>
    public static void Narrow(HttpRequestHeaders headers)
    {
        if (!headers.NonValidated.TryGetValues(HeaderName, out HeaderStringValues values))
        {
            return;
        }

        bool narrow = false;
        foreach (string value in values)
        {
            foreach (Range range in value.AsSpan().Split(','))
            {
                ReadOnlySpan<char> coding = Coding(value.AsSpan()[range]);
                if (!coding.IsEmpty && !IsDecodable(coding))
                {
                    narrow = true;
                }
            }
        }

        if (!narrow)
        {
            return;
        }

        var kept = new List<string>();
        foreach (string value in values)
        {
            foreach (Range range in value.AsSpan().Split(','))
            {
                ReadOnlySpan<char> entry = value.AsSpan()[range].Trim();
                if (IsDecodable(Coding(entry)))
                {
                    kept.Add(entry.ToString());
                }
            }
        }

        headers.Remove(HeaderName);
        // Nothing decodable offered ("zstd" alone): identity, which every app can answer and the gateway can read.
        headers.TryAddWithoutValidation(HeaderName, kept.Count == 0 ? "identity" : string.Join(", ", kept));
    }

    /// <summary>True for a coding <see cref="BodyPeek"/> decodes ('*' is not one: it lets the app pick any).</summary>
    public static bool IsDecodable(ReadOnlySpan<char> coding) =>
        coding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || coding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase)
        || coding.Equals("deflate", StringComparison.OrdinalIgnoreCase) || coding.Equals("br", StringComparison.OrdinalIgnoreCase)
        || coding.Equals("identity", StringComparison.OrdinalIgnoreCase);

    /// <summary>The coding's name in a list entry ("br;q=0.9" is br), trimmed.</summary>
    private static ReadOnlySpan<char> Coding(ReadOnlySpan<char> entry)
    {
        int parameters = entry.IndexOf(';');
        return (parameters < 0 ? entry : entry[..parameters]).Trim();
    }
}
