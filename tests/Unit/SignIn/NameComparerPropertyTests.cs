using CasbCore.SignIn;
using CsCheck;
using Xunit;

namespace CasbModule.Tests.SignIn;

// UserNames.Comparer keys every policy's users, group members and revocations: two names it calls equal must hash alike,
// or a dictionary misses a user it should find. Short strings from a small pool, so that equal pairs come up often:
// composing marks, precomposed letters, singletons (U+212B, U+2126, U+212A KELVIN SIGN), fullwidth letters and case
// pairs beyond ASCII (Greek sigma forms, Deseret and Cherokee, long s, dotless i, sharp s), and white space around them.
public class NameComparerPropertyTests
{
    private static readonly string[] Pool =
    [
        "a", "A", "e", "E", "k", "K", "s", "S", "\u00e9", "\u00c9", "\u00c5", "\u00e5", "\u212B", "\u212A", "\u2126", "\u03a9", "\u03c9",
        "\u0301", "\u030A", "\u0323", "\u0327", "\uFF41", "\uFF21", "\uFF4B", "\uFF2B", "\u03a3", "\u03c3", "\u03c2", "\u017F", "\u0131",
        "\u0130", "\u00df", "\u1E9E", "\U00010400", "\U00010428", "\u13A0", "\uAB70", "\u1100", "\u1161", "\uAC00", "\u01C4", "\u01C5", "\u01C6",
        " ", "\t", "\u00A0", "\u3000", "\u2003",
    ];

    private static readonly Gen<string> Name = Gen.Int[0, Pool.Length - 1].Select(i => Pool[i]).Array[0, 4].Select(parts => string.Concat(parts));

    [Fact]
    public void Equal_names_hash_alike_and_compare_as_equal()
    {
        Gen.Select(Name, Name).Sample((x, y) =>
        {
            bool equal = UserNames.Comparer.Equals(x, y);
            Assert.Equal(equal, UserNames.Comparer.Equals(y, x));
            Assert.Equal(equal, UserNames.Comparer.Compare(x, y) == 0);
            if (equal)
            {
                Assert.Equal(UserNames.Comparer.GetHashCode(x), UserNames.Comparer.GetHashCode(y));
            }

            // The canonical form (trimmed: white space around a name from a token or a file is not part of it) is one name with its spelling.
            Assert.True(UserNames.Comparer.Equals(x, UserNames.Canonical(x)), $"'{x}' and its canonical form '{UserNames.Canonical(x)}'");
        }, iter: 200_000);
    }
}
