using System.Globalization;
using System.Text;
using CasbCore;
using CsCheck;

namespace CasbModule.Tests;

public sealed class DisplayTextTests
{
    // Strings rich in what matters: C0, DEL, C1, bidi controls, separators, backslashes and ordinary text.
    private static readonly Gen<string> Text = Gen.Frequency(
            (4, Gen.Char),
            (3, Gen.Char['\u0000', '\u00a0']),
            (2, Gen.OneOf('\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e',
                '\u2066', '\u2067', '\u2068', '\u2069', '\u2028', '\u2029', '\\', 'x', 'u', 'é', '中')))
        .Array[0, 40]
        .Select(chars => new string(chars));

    [Theory]
    [InlineData("\u001b[31mAllow 200\u001b[0m", "\\x1b[31mAllow 200\\x1b[0m")]
    [InlineData("a\tb\nc\rd", "a\\tb\\nc\\rd")]
    [InlineData("\u0000\u0007\u007f\u0085\u009b", "\\x00\\x07\\x7f\\x85\\x9b")]
    [InlineData("\u202eevil\u202c \u2066x\u2069 \u200f\u061c\u2028", "\\u202eevil\\u202c \\u2066x\\u2069 \\u200f\\u061c\\u2028")]
    [InlineData("CN=Müller, O=中文 (ok) \\x1b", "CN=Müller, O=中文 (ok) \\x1b")]
    [InlineData("", "")]
    public void Shows_control_and_bidi_characters_as_escapes(string text, string shown)
    {
        Assert.Equal(shown, DisplayText.Safe(text));
    }

    [Fact]
    public void Null_stays_null()
    {
        Assert.Null(DisplayText.Safe(null));
        Assert.True(DisplayText.IsSafe(null));
    }

    [Fact]
    public void Escapes_exactly_the_controls_bidi_controls_and_separators()
    {
        // An oracle written from Unicode's own categories: Cc is C0, DEL and C1; Zl and Zp are U+2028 and U+2029.
        var bidi = new HashSet<char> { '\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069' };
        for (int i = 0; i <= char.MaxValue; i++)
        {
            char c = (char)i;
            UnicodeCategory category = char.GetUnicodeCategory(c);
            bool expected = category is UnicodeCategory.Control or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                || bidi.Contains(c);
            Assert.True(expected == DisplayText.NeedsEscape(c), $"U+{i:X4}");
        }
    }

    [Fact]
    public void What_is_shown_never_holds_a_character_that_needs_escaping()
    {
        Text.Sample(text =>
        {
            string shown = DisplayText.Safe(text);
            Assert.True(DisplayText.IsSafe(shown), shown);
            Assert.Equal(shown, DisplayText.Safe(shown));
            Assert.Equal(DisplayText.IsSafe(text), shown == text);
        });
    }

    [Fact]
    public void What_is_shown_can_be_read_back_exactly()
    {
        // Without backslashes in the input the escapes are unambiguous: reading them back gives the original.
        Text.Where(t => !t.Contains('\\')).Sample(text => Assert.Equal(text, ReadBack(DisplayText.Safe(text))));
    }

    private static string ReadBack(string shown)
    {
        var text = new StringBuilder();
        for (int i = 0; i < shown.Length; i++)
        {
            if (shown[i] != '\\')
            {
                text.Append(shown[i]);
                continue;
            }

            char kind = shown[++i];
            switch (kind)
            {
                case 't': text.Append('\t'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 'x': text.Append((char)int.Parse(shown.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)); i += 2; break;
                case 'u': text.Append((char)int.Parse(shown.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture)); i += 4; break;
                default: throw new FormatException($"unknown escape \\{kind}");
            }
        }

        return text.ToString();
    }
}
