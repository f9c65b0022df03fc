using CasbCore.SignIn;
using CsCheck;
using Xunit;

namespace CasbModule.Tests.SignIn;

// The engine's own name form, in this process too (InvariantGlobalization, where string.Normalize does nothing): every
// spelling below is literal. tests/Pester/NameNormalization.Tests.ps1 compares the engine's NFC with .NET's under ICU.
public class NameNormalizationTests
{
    [Theory]
    [InlineData("Jose\u0301", "Jos\u00E9")]                        // e + combining acute: é
    [InlineData("\u212B", "\u00C5")]                               // ANGSTROM SIGN, a singleton: Å
    [InlineData("A\u030A", "\u00C5")]
    [InlineData("\u2126", "\u03A9")]                               // OHM SIGN: Ω
    [InlineData("\u1100\u1161", "\uAC00")]                         // Hangul jamo L + V: 가
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]                   // L + V + T: 각
    [InlineData("\uAC00\u11A8", "\uAC01")]                         // LV syllable + T
    [InlineData("a\u0301\u0323", "\u1EA1\u0301")]                  // marks reordered by class (220 before 230), then composed
    [InlineData("a\u0323\u0301", "\u1EA1\u0301")]
    [InlineData("e\u0302\u0301", "\u1EBF")]                        // two compositions in a row: ế
    [InlineData("a\u0338\u0301", "\u00E1\u0338")]                  // class 1 reorders before 230, then á composes
    [InlineData("\u0344", "\u0308\u0301")]                         // a decomposition that never composes back
    [InlineData("\U0001D15E", "\U0001D157\U0001D165")]              // a supplementary composition exclusion
    [InlineData("\u0915\u093C", "\u0915\u093C")]                   // excluded: stays decomposed
    [InlineData("\u0958", "\u0915\u093C")]
    [InlineData("\u0301e", "\u0301e")]                             // a leading mark has nothing to compose with
    [InlineData("\u0B47\u0B3E", "\u0B4B")]                         // Oriya two-part vowel: a starter composing with a starter
    [InlineData("\uD800x\u0301", "\uD800x\u0301")]                 // a lone surrogate stays (x + U+0301 has no composite)
    public void Puts_a_name_in_NFC(string text, string expected)
    {
        Assert.Equal(expected, NameNormalization.ToFormC(text));
        Assert.Equal(expected, NameNormalization.ToFormC(NameNormalization.ToFormC(text)));
    }

    [Theory]
    [InlineData("\uFF4A\uFF4F\uFF48\uFF4E@contoso.com", "john@contoso.com")]
    [InlineData("\uFF2A\uFF2F\uFF28\uFF2E", "JOHN")]
    [InlineData("\uFF76\uFF9E", "\u30AC")]                         // halfwidth KA + halfwidth voiced mark: GA
    [InlineData("a\u3000b", "a b")]                                 // IDEOGRAPHIC SPACE
    public void Maps_fullwidth_and_halfwidth_forms_before_NFC(string text, string expected) =>
        Assert.Equal(expected, NameNormalization.Normalize(text));

    [Fact]
    public void Returns_a_name_below_U0300_itself_without_copying()
    {
        string name = "Ren\u00E9e.M\u00FCller@contoso.com";
        Assert.Same(name, NameNormalization.Normalize(name));
        Assert.Same(name, UserNames.Canonical(name));
        string composed = "Jos\u00E9\u4E2D\uAC01";
        Assert.Same(composed, NameNormalization.Normalize(composed));
    }

    private const string Pool =
        "aAeEoOuUsS@.-\u00E9\u00C5\u212B\u2126\u0301\u0300\u0302\u0308\u0323\u0327\u0338\u1100\u1161\u11A8\uAC00\uFF4A\uFF21\u3000\u0915\u093C\u0B47\u0B3E\u304B\u3099\uFF76\uFF9E";

    // Whatever the spelling, a name and its canonical form are one name to the comparer, with one hash (a dictionary
    // of policy users finds either), and the canonical form is a fixed point.
    [Fact]
    public void A_name_and_its_canonical_form_are_one_name_to_the_comparer()
    {
        Gen.String[Gen.Char[Pool], 1, 10].Sample(name =>
        {
            string canonical = UserNames.Canonical(name);
            Assert.Equal(canonical, UserNames.Canonical(canonical));
            Assert.True(UserNames.Comparer.Equals(name.Trim(), canonical));
            Assert.True(UserNames.Comparer.Equals(name.ToUpperInvariant().Trim(), canonical));
            Assert.Equal(UserNames.Comparer.GetHashCode(name.Trim()), UserNames.Comparer.GetHashCode(canonical));
            Assert.Equal(0, UserNames.Comparer.Compare(name.Trim(), canonical));
        });
    }

    [Fact]
    public void Different_letters_stay_different_names()
    {
        Assert.False(UserNames.Comparer.Equals("jose@contoso.com", "Jos\u00E9@contoso.com"));
        Assert.False(UserNames.Comparer.Equals("Jose\u0301", "Jose\u0300"));
        Assert.False(UserNames.Comparer.Equals("\u0915\u093C", "\u0915"));
    }
}
