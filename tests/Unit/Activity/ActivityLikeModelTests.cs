using System.Text;
using CasbCore.Activity;
using CsCheck;

namespace CasbModule.Tests.Activity;

/// <summary>
/// The database's filter of a wildcard (<see cref="PostgresActivityReader.Like"/>, ILIKE under COLLATE "C") against a
/// model of ILIKE: it works on code points, where the engine's <c>?</c> is one UTF-16 unit, and a column holds a lone
/// surrogate as U+FFFD. The filter may keep more records than the engine (the reader checks them again) but never fewer,
/// and a pattern it calls exact must keep exactly the engine's. Without a database: PostgresActivityTests runs the same
/// against a real one, where CI once drew "?*?" (a character beyond the BMP is two units to the engine, one to ILIKE).
/// </summary>
public sealed class ActivityLikeModelTests
{
    // The character beyond the BMP thrice: it is what tells units from code points.
    private static readonly string[] Pieces = ["a", "A", "x", "\ud800\udc00", "\ud800\udc00", "\ud800\udc00", "\ud800", "\udc00", "%", "_"];

    [Theory]
    [InlineData("?*?", "\ud800\udc00")]
    [InlineData("*?*?*", "\ud800\udc00")]
    [InlineData("?*?*?*?", "\ud800\udc00\ud800\udc00")]
    [InlineData("a?*?", "a\ud800\udc00")]
    public void A_wildcard_whose_units_one_character_beyond_the_BMP_fills_keeps_its_record_in_the_database(string wildcard, string value)
    {
        Assert.True(new ActivityPattern(wildcard).IsMatch(value));

        Assert.True(LikeMatches(PostgresActivityReader.Like(wildcard)!, value), $"'{wildcard}' as '{PostgresActivityReader.Like(wildcard)}'");
    }

    [Fact]
    public void The_database_never_leaves_out_a_record_the_engine_keeps_and_decides_exactly_what_it_calls_exact()
    {
        Gen<string> wildcards = Gen.String[Gen.Char["???**a%_\\"], 0, 7];
        Gen<string> values = Gen.OneOf(Pieces.Select(Gen.Const).ToArray()).Array[0, 4].Select(p => string.Concat(p));
        Gen.Select(wildcards, values).Sample((wildcard, value) =>
        {
            string like = PostgresActivityReader.Like(wildcard)!;
            bool engine = new ActivityPattern(wildcard).IsMatch(value);
            bool database = LikeMatches(like, value);
            Assert.True(!engine || database, $"'{wildcard}' as '{like}' leaves out '{Escaped(value)}'");
            if (PostgresActivityReader.IsExact(wildcard))
            {
                Assert.True(engine == database, $"'{wildcard}' as '{like}' is called exact but decides '{Escaped(value)}' otherwise");
            }
        }, iter: 20_000);
    }

    /// <summary>ILIKE under COLLATE "C" as a model: % any code points, _ one, \ escapes; ASCII letters fold case.</summary>
    private static bool LikeMatches(string like, string value)
    {
        int[] text = value.EnumerateRunes().Select(r => char.ToLowerInvariant((char)Math.Min(r.Value, 0xFFFF)) is var c && r.Value < 128 ? c : r.Value).ToArray();
        var tokens = new List<(char Kind, int Value)>();
        for (int i = 0; i < like.Length; i++)
        {
            tokens.Add(like[i] switch
            {
                '%' => ('%', 0),
                '_' => ('_', 0),
                '\\' => ('=', like[++i]),
                _ => ('=', like[i] < 128 ? char.ToLowerInvariant(like[i]) : like[i]),
            });
        }

        // matches[t, p]: the first t code points match the first p tokens.
        var matches = new bool[text.Length + 1, tokens.Count + 1];
        matches[0, 0] = true;
        for (int t = 0; t <= text.Length; t++)
        {
            for (int p = 1; p <= tokens.Count; p++)
            {
                (char kind, int expected) = tokens[p - 1];
                matches[t, p] = kind switch
                {
                    '%' => matches[t, p - 1] || (t > 0 && matches[t - 1, p]),
                    '_' => t > 0 && matches[t - 1, p - 1],
                    _ => t > 0 && matches[t - 1, p - 1] && text[t - 1] == expected,
                };
            }
        }

        return matches[text.Length, tokens.Count];
    }

    private static string Escaped(string value) => string.Concat(value.Select(c => c < 128 ? c.ToString() : $"\\u{(int)c:x4}"));
}
