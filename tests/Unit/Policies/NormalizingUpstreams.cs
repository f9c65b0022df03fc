using System.Text;
using System.Text.RegularExpressions;

namespace CasbModule.Tests.Policies;

/// <summary>One class of upstream server, modelled by how it turns the path it receives into the path it serves.</summary>
internal sealed record NormalizingUpstream(string Name, Func<string, string> Normalize)
{
    public override string ToString() => Name;
}

/// <summary>
/// Models of how real upstreams read a path, written independently of the gateway's <c>RequestPath</c> (simple
/// string steps, lenient like servers: a malformed escape stays as it is, invalid UTF-8 becomes U+FFFD).
/// </summary>
internal static partial class NormalizingUpstreams
{
    public static readonly NormalizingUpstream[] All =
    [
        new("merging proxy (nginx: decode, merge slashes, resolve dots)", path => ResolveDots(MergeSlashes(Decode(path)))),
        new("servlet container (strip ;params, decode, merge slashes, resolve dots)", path => ResolveDots(MergeSlashes(Decode(StripParameters(path))))),
        new("IIS (decode, '\\' is '/', best-fit folding, strip trailing dots and spaces, merge, resolve dots)",
            path => ResolveDots(MergeSlashes(StripTrailingDotsAndSpaces(BestFit(Decode(path)).Replace('\\', '/'))))),
        new("double-decoding app (decode twice, merge slashes, resolve dots)", path => ResolveDots(MergeSlashes(Decode(Decode(path))))),
    ];

    /// <summary>The path part of a request target: without the query or fragment.</summary>
    public static string PathOf(string target)
    {
        int end = target.IndexOfAny(['?', '#']);
        return end < 0 ? target : target[..end];
    }

    /// <summary>Percent-decodes once, leniently.</summary>
    public static string Decode(string path)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length && Uri.IsHexDigit(path[i + 1]) && Uri.IsHexDigit(path[i + 2]))
            {
                bytes.Add(Convert.ToByte(path.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(path[i].ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>
    /// Windows best-fit / NFKC folding of the characters the generator produces (the tests run without ICU, so
    /// string.Normalize cannot be the model): fullwidth ASCII to ASCII, look-alike slashes and dots, Unicode spaces
    /// to a space, invisible characters dropped.
    /// </summary>
    private static string BestFit(string path) => string.Concat(path.Select(c => c switch
    {
        >= '\uFF01' and <= '\uFF5E' => ((char)(c - 0xFEE0)).ToString(),
        '\u212A' => "K",
        '\u2215' => "/",
        '\u00A5' => "\\",
        '\u2024' => ".",
        '\u00A0' or '\u3000' => " ",
        '\u200B' or '\u202E' => "",
        _ => c.ToString(),
    }));

    private static string MergeSlashes(string path) => Slashes().Replace(path, "/");

    private static string StripParameters(string path) =>
        string.Join('/', path.Split('/').Select(segment => segment.Split(';')[0]));

    private static string StripTrailingDotsAndSpaces(string path) =>
        string.Join('/', path.Split('/').Select(segment => segment is "." or ".." ? segment : segment.TrimEnd('.', ' ')));

    /// <summary>RFC 3986 remove_dot_segments for an absolute path: never above the root.</summary>
    private static string ResolveDots(string path)
    {
        var output = new List<string>();
        string[] segments = path.Split('/')[1..];
        bool trailingSlash = false;
        for (int i = 0; i < segments.Length; i++)
        {
            bool last = i == segments.Length - 1;
            switch (segments[i])
            {
                case ".":
                    trailingSlash = last;
                    break;
                case "..":
                    if (output.Count > 0)
                    {
                        output.RemoveAt(output.Count - 1);
                    }

                    trailingSlash = last;
                    break;
                case "" when last:
                    trailingSlash = true;
                    break;
                default:
                    output.Add(segments[i]);
                    trailingSlash = false;
                    break;
            }
        }

        return "/" + string.Join('/', output) + (trailingSlash && output.Count > 0 ? "/" : "");
    }

    [GeneratedRegex("/{2,}")]
    private static partial Regex Slashes();
}
