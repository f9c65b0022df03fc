using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace CasbCore.Policies;

/// <summary>
/// The one canonical form of a request path. The gateway builds it from the raw request target, Test-CasbAccess
/// from the -Uri as typed; the engine matches apps against it, and the gateway forwards exactly it upstream. So
/// what-if, the decision and the upstream all see the same path.
/// <para>Normalized: repeated slashes merge ("//admin" is "/admin"), "." and ".." segments are resolved (never above
/// the root), escapes are decoded and re-encoded one way (<see cref="Escaped"/>), the query and any fragment are not
/// part of the path.</para>
/// <para>Refused as ambiguous, because upstream servers read them in different ways (some as a separator, some as a
/// parameter, some decode twice): an encoded '/' (%2F), a '\' (raw or %5C), a ';' path parameter (raw or %3B), an
/// encoded '%' (%25, double encoding), an encoded "." or ".." segment, a segment ending in '.' or a space (Windows
/// drops them), control characters, escapes that are malformed or not valid UTF-8 (overlong forms), characters that
/// servers fold into ASCII ones (fullwidth '／' and 'ａ', Unicode spaces, invisible formatting characters; see
/// <see cref="FoldsIntoAscii"/>), and a target that is not a path (absolute-form "http://host/path" is read as its path).</para>
/// </summary>
public sealed class RequestPath
{
    /// <summary>The error id of a path refused as ambiguous (Test-CasbAccess; the gateway's activity record).</summary>
    public const string AmbiguousErrorId = "RequestPathAmbiguous";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Characters a canonical segment keeps as they are: RFC 3986 unreserved and the sub-delimiters other than ';',
    // plus ':' and '@' (what a path segment may hold unescaped). Everything else is %XX, so a path has one spelling.
    private static readonly SearchValues<char> Plain = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@");

    private RequestPath(string value, string escaped, string query)
    {
        Value = value;
        Escaped = escaped;
        Query = query;
    }

    /// <summary>The decoded path ("/reports/café"): what app path prefixes are matched against. Its segments contain no '/', '\', ';' or '%'.</summary>
    public string Value { get; }

    /// <summary>The same path, escaped for the wire ("/reports/caf%C3%A9"): what is forwarded upstream and logged.</summary>
    public string Escaped { get; }

    /// <summary>The query as received, with its '?' ("" when there is none). Not part of the path or of the decision.</summary>
    public string Query { get; }

    public override string ToString() => Escaped + Query;

    /// <summary>Parses and canonicalizes a request target ("/a//b/../c?x=1", or absolute-form "https://host/a").</summary>
    /// <param name="target">The raw request target, or a URL as typed. Null or empty is "/".</param>
    /// <param name="path">The canonical path, when the target is not ambiguous.</param>
    /// <param name="problem">Why the target is ambiguous, as the end of a sentence ("it contains an encoded '/' (%2F)").</param>
    public static bool TryParse(string? target, [NotNullWhen(true)] out RequestPath? path, [NotNullWhen(false)] out string? problem)
    {
        path = null;
        string text = target ?? "";
        int start = 0;
        if (text.Length > 0 && text[0] != '/')
        {
            // Absolute-form (a proxy request, or a URL typed for what-if): the path follows the authority.
            int scheme = text.IndexOf("://", StringComparison.Ordinal);
            if (scheme <= 0 || !IsScheme(text.AsSpan(0, scheme)))
            {
                problem = "it is not a path starting with '/' or an absolute http:// or https:// URL";
                return false;
            }

            int authorityEnd = text.AsSpan(scheme + 3).IndexOfAny("/?#\\");
            start = authorityEnd < 0 ? text.Length : scheme + 3 + authorityEnd;
        }

        int pathEnd = text.AsSpan(start).IndexOfAny('?', '#');
        pathEnd = pathEnd < 0 ? text.Length : start + pathEnd;
        string query = "";
        if (pathEnd < text.Length && text[pathEnd] == '?')
        {
            int fragment = text.IndexOf('#', pathEnd);
            query = fragment < 0 ? text[pathEnd..] : text[pathEnd..fragment];
        }

        ReadOnlySpan<char> raw = text.AsSpan(start, pathEnd - start);
        if (raw.IsEmpty)
        {
            path = new RequestPath("/", "/", query);
            problem = null;
            return true;
        }

        if (raw.Contains('\\'))
        {
            problem = "it contains a backslash ('\\'), which some servers read as '/'";
            return false;
        }

        if (raw[0] != '/')
        {
            problem = "it is not a path starting with '/' or an absolute http:// or https:// URL";
            return false;
        }

        if (IsCanonical(raw))
        {
            string canonical = raw.ToString();
            path = new RequestPath(canonical, canonical, query);
            problem = null;
            return true;
        }

        var segments = new List<string>();
        bool trailingSlash = false;
        ReadOnlySpan<char> rest = raw[1..];
        while (true)
        {
            int slash = rest.IndexOf('/');
            bool last = slash < 0;
            ReadOnlySpan<char> segment = last ? rest : rest[..slash];
            if (segment.IsEmpty || segment is ".")
            {
                trailingSlash = last || trailingSlash;
            }
            else if (segment is "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }

                trailingSlash = last || trailingSlash;
            }
            else
            {
                problem = DecodeSegment(segment, out string decoded);
                if (problem is not null)
                {
                    return false;
                }

                segments.Add(decoded);
                trailingSlash = false;
            }

            if (last)
            {
                break;
            }

            rest = rest[(slash + 1)..];
        }

        var value = new StringBuilder(raw.Length);
        var escaped = new StringBuilder(raw.Length + 8);
        foreach (string segment in segments)
        {
            value.Append('/').Append(segment);
            escaped.Append('/');
            AppendEscaped(escaped, segment);
        }

        if (segments.Count == 0 || trailingSlash)
        {
            value.Append('/');
            escaped.Append('/');
        }

        path = new RequestPath(value.ToString(), escaped.ToString(), query);
        problem = null;
        return true;
    }

    /// <summary>Like <see cref="TryParse"/>, but an ambiguous target is a <see cref="CasbException"/> with the id <see cref="AmbiguousErrorId"/>.</summary>
    public static RequestPath Parse(string? target) =>
        TryParse(target, out RequestPath? path, out string? problem)
            ? path
            : throw new CasbException(
                AmbiguousErrorId, CasbErrorKind.InvalidArgument,
                $"The request path '{target}' is ambiguous: {problem}. The gateway refuses it with 400 Bad Request without deciding.", target);

    /// <summary>
    /// Folds case for path matching, length-preserving: upper- then lower-case, and the letters whose Unicode simple
    /// case mapping leads to ASCII ('İ' to 'i', 'ı' to 'I', 'ſ' to 'S', which .NET's invariant casing leaves alone)
    /// to that ASCII letter. Servers that compare by upper case and those that compare by lower case then both
    /// fall under the prefix the gateway matched.
    /// </summary>
    public static string FoldCase(string value) =>
        string.Create(value.Length, value, static (folded, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                folded[i] = c switch
                {
                    < '\u0080' => char.ToLowerInvariant(c),
                    '\u0130' or '\u0131' => 'i',
                    '\u017F' => 's',
                    _ => char.ToLowerInvariant(char.ToUpperInvariant(c)),
                };
            }
        });

    /// <summary>True when <paramref name="foldedPath"/> equals <paramref name="foldedPrefix"/> or continues it after a '/'; both folded with <see cref="FoldCase"/>, the prefix without a trailing '/'.</summary>
    public static bool IsUnder(string foldedPrefix, string foldedPath) =>
        foldedPrefix == "/" ||
        (foldedPath.StartsWith(foldedPrefix, StringComparison.Ordinal) &&
         (foldedPath.Length == foldedPrefix.Length || foldedPath[foldedPrefix.Length] == '/'));

    private static bool IsScheme(ReadOnlySpan<char> scheme)
    {
        if (!char.IsAsciiLetter(scheme[0]))
        {
            return false;
        }

        foreach (char c in scheme)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when <see cref="TryParse"/> would return <paramref name="target"/> itself as the path (no query, nothing to
    /// normalize, decode or refuse): what the gateway passes on. Its characters are then all plain ASCII.
    /// </summary>
    internal static bool IsCanonicalTarget(string target) =>
        target.Length > 0 && target[0] == '/' && IsCanonical(target);

    /// <summary>Already canonical: plain characters only, no empty, "." or ".." segments, no segment ending in '.'.</summary>
    private static bool IsCanonical(ReadOnlySpan<char> raw)
    {
        ReadOnlySpan<char> rest = raw[1..];
        while (true)
        {
            int slash = rest.IndexOf('/');
            ReadOnlySpan<char> segment = slash < 0 ? rest : rest[..slash];
            if (segment.IsEmpty)
            {
                // Only the last segment may be empty: "/" or a trailing slash.
                if (slash >= 0)
                {
                    return false;
                }
            }
            else if (segment[^1] == '.' || segment.ContainsAnyExcept(Plain))
            {
                return false;
            }

            if (slash < 0)
            {
                return true;
            }

            rest = rest[(slash + 1)..];
        }
    }

    /// <summary>Decodes one non-empty segment that is not "." or "..". Returns null, or why the segment is ambiguous.</summary>
    private static string? DecodeSegment(ReadOnlySpan<char> raw, out string decoded)
    {
        decoded = "";
        byte[] bytes = new byte[raw.Length * 3];
        int length = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length || !char.IsAsciiHexDigit(raw[i + 1]) || !char.IsAsciiHexDigit(raw[i + 2]))
                {
                    return "it contains a '%' that does not start an escape such as %20";
                }

                bytes[length++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                i += 2;
            }
            else if (c == ';')
            {
                return "it contains a ';' path parameter, which some servers strip before matching";
            }
            else if (c < 0x80)
            {
                bytes[length++] = (byte)c;
            }
            else
            {
                if (Rune.DecodeFromUtf16(raw[i..], out Rune rune, out int consumed) != OperationStatus.Done)
                {
                    return "it contains a character that is not valid Unicode";
                }

                length += rune.EncodeToUtf8(bytes.AsSpan(length));
                i += consumed - 1;
            }
        }

        try
        {
            decoded = StrictUtf8.GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return "it contains an escape that is not valid UTF-8 (such as an overlong %C0%AF)";
        }

        foreach (char c in decoded)
        {
            string? problem = c switch
            {
                '/' => "it contains an encoded '/' (%2F), which some servers decode into a separator",
                '\\' => "it contains an encoded backslash (%5C), which some servers read as '/'",
                ';' => "it contains an encoded ';' (%3B), which some servers read as a path parameter",
                '%' => "it contains an encoded '%' (%25), a double encoding that some servers decode twice",
                _ when char.IsControl(c) => "it contains a control character",
                _ => null,
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        foreach (Rune rune in decoded.EnumerateRunes())
        {
            if (rune.Value >= 0x80 && FoldsIntoAscii(rune))
            {
                return "it contains a character that some servers fold into an ASCII one (a fullwidth or compatibility form " +
                    "such as '／' or 'ａ', a Unicode space, a look-alike slash or dot, an invisible formatting character)";
            }
        }

        if (decoded is "." or "..")
        {
            return "it contains an encoded '.' or '..' segment";
        }

        if (decoded[^1] is '.' or ' ')
        {
            return "it contains a segment that ends with '.' or a space, which Windows servers drop";
        }

        return null;
    }

    /// <summary>
    /// Non-ASCII characters that Unicode compatibility normalization (NFKC) or Windows best-fit code-page conversion
    /// turn into ASCII ones, by block and category: the gateway runs without ICU (invariant globalization), so
    /// string.Normalize is not available to compare against. The letters and signs among them that are in no such block
    /// or category are listed by code point (CompatibilityFoldingTests checks every code point whose NFKC form is ASCII).
    /// Ordinary letters of any script pass.
    /// </summary>
    private static bool FoldsIntoAscii(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.SpaceSeparator or UnicodeCategory.Format or UnicodeCategory.OtherNumber or UnicodeCategory.LetterNumber
            or UnicodeCategory.ModifierSymbol // spacing accents: ´ ¨ ¸ and Greek varia '῀' (NFKC: a space, or '`')
        || rune.Value is 0xA5 or 0xAA or 0xBA or 0x20A9 or 0x2215 or 0x2216 or 0x29F5 or 0x29F8 or 0x29F9 // ª º, best-fit '\' (¥ ₩), look-alike slashes
            or 0x037E or 0x20A8            // Greek question mark (';'), rupee sign ("Rs")
            or 0x0132 or 0x0133            // Ĳ ĳ ("IJ" "ij")
            or (>= 0x01C4 and <= 0x01CC)    // Ǆ ǅ ǆ Ǉ ǈ ǉ Ǌ ǋ ǌ ("DŽ" "LJ" "nj")
            or (>= 0x01F1 and <= 0x01F3)    // Ǳ ǲ ǳ ("DZ" "dz")
            or (>= 0x2A74 and <= 0x2A76)    // ⩴ ⩵ ⩶ ("::=" "==")
            or 0x2C7C or 0x2C7D             // ⱼ ⱽ
            or (>= 0xA7F2 and <= 0xA7F4)    // modifier capitals ꟲ ꟳ ꟴ
            or (>= 0x10780 and <= 0x107BF)  // Latin extended-F: modifier letters (𐞥 'q')
            or (>= 0x1CC00 and <= 0x1CEBF)  // symbols for legacy computing supplement (outlined letters and digits)
            or (>= 0x1FB00 and <= 0x1FBFF)  // symbols for legacy computing (segmented digits 🯰-🯹)
            or (>= 0x02B0 and <= 0x02FF)    // spacing modifier letters (ʰ ˢ)
            or (>= 0x1D00 and <= 0x1DBF)    // phonetic extensions (ᴬ)
            or (>= 0x2000 and <= 0x209F)    // general punctuation (dot leaders, dashes, quotes), super- and subscripts
            or (>= 0x2100 and <= 0x218F)    // letterlike symbols (K, ™), number forms (Ⅰ)
            or (>= 0x2460 and <= 0x24FF)    // enclosed alphanumerics (Ⓐ)
            or (>= 0x3000 and <= 0x3002)    // ideographic space, comma, full stop
            or (>= 0x3200 and <= 0x33FF)    // enclosed CJK letters, CJK compatibility (㎞)
            or (>= 0xFB00 and <= 0xFB4F)    // alphabetic presentation forms (ﬁ)
            or (>= 0xFE10 and <= 0xFE6F)    // vertical, CJK compatibility and small forms (﹒ ﹔ ﹨)
            or (>= 0xFF00 and <= 0xFFEF)    // halfwidth and fullwidth forms (／ ＼ ． ａ)
            or (>= 0x1D400 and <= 0x1D7FF)  // mathematical alphanumerics
            or (>= 0x1F100 and <= 0x1F1FF); // enclosed alphanumeric supplement

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static void AppendEscaped(StringBuilder builder, string segment)
    {
        if (!segment.AsSpan().ContainsAnyExcept(Plain))
        {
            builder.Append(segment);
            return;
        }

        foreach (byte b in Encoding.UTF8.GetBytes(segment))
        {
            if (b < 0x80 && Plain.Contains((char)b))
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(((int)b).ToString("X2", CultureInfo.InvariantCulture));
            }
        }
    }
}
