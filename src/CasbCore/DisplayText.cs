using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace CasbCore;

/// <summary>
/// Makes text from requests, certificates, the activity log or an imported configuration safe to show on an
/// admin's terminal or a page: every character that a terminal or a text renderer acts on instead of showing is
/// replaced by a visible escape. A request path with ESC[...] can otherwise recolour, move the cursor or
/// rewrite what the admin reads ("Block 403" shown as "Allow 200"), and a bidi override can reorder it.
/// <para>Escaped: C0 controls U+0000–U+001F (TAB, LF and CR as <c>\t</c>, <c>\n</c>, <c>\r</c>, the others as
/// <c>\xHH</c>, so ESC is <c>\x1b</c>), DEL U+007F (<c>\x7f</c>), C1 controls U+0080–U+009F (<c>\x9b</c>), and,
/// as <c>\uHHHH</c>, the bidi marks and controls U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069 and the
/// line and paragraph separators U+2028, U+2029. Hex digits are lower case. Everything else is kept as it is.</para>
/// <para>Only shown text goes through this: the activity log, the store and the what-if engine keep exact values.</para>
/// </summary>
public static class DisplayText
{
    /// <summary>True when <paramref name="c"/> is shown escaped.</summary>
    public static bool NeedsEscape(char c) => c switch
    {
        < '\u0020' => true,
        >= '\u007f' and <= '\u009f' => true,
        '\u061c' or '\u200e' or '\u200f' or '\u2028' or '\u2029' => true,
        >= '\u202a' and <= '\u202e' => true,
        >= '\u2066' and <= '\u2069' => true,
        _ => false,
    };

    /// <summary>True when <paramref name="text"/> (null counts) shows as it is.</summary>
    public static bool IsSafe(string? text) => text is null || IndexOfUnsafe(text) < 0;

    /// <summary><paramref name="text"/> with every character of <see cref="NeedsEscape"/> escaped; null stays null.</summary>
    [return: NotNullIfNotNull(nameof(text))]
    public static string? Safe(string? text)
    {
        if (text is null)
        {
            return null;
        }

        int first = IndexOfUnsafe(text);
        if (first < 0)
        {
            return text;
        }

        var safe = new StringBuilder(text.Length + 16);
        safe.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (!NeedsEscape(c))
            {
                safe.Append(c);
                continue;
            }

            switch (c)
            {
                case '\t':
                    safe.Append("\\t");
                    break;
                case '\n':
                    safe.Append("\\n");
                    break;
                case '\r':
                    safe.Append("\\r");
                    break;
                case <= '\u00ff':
                    safe.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    safe.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
            }
        }

        return safe.ToString();
    }

    /// <summary>Each of <paramref name="texts"/> made safe, as a new array.</summary>
    public static string[] SafeAll(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return texts.Select(t => Safe(t)).ToArray();
    }

    private static int IndexOfUnsafe(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (NeedsEscape(text[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
