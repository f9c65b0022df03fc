using CsCheck;

namespace CasbModule.Tests.Policies;

/// <summary>
/// Generates raw request targets (ASCII, as they appear on a request line) from segments built of pieces: plain
/// words (some spelled with escapes), dot segments, repeated slashes, the escapes and characters upstreams disagree
/// on (%2F %5C %2E %25 %3B, ';params', '\', control characters, overlong and invalid UTF-8, fullwidth and
/// invisible characters), trailing dots and spaces, case changes, and a query.
/// </summary>
internal static class RequestTargets
{
    /// <summary>Pieces every server reads the same way.</summary>
    public static readonly string[] PlainPieces =
    [
        "admin", "api", "secret", "reports", "q3", "x", "caf%C3%A9", "CAF%c3%a9", "%61dmin", "adm%69n",
        "%C4%B0stanbul", "%C4%B1stanbul", "istanbul", "~user", "a-b_c", "v1.2", ".hidden", "a%20b", "%7E", "%E2%82%AC", "%3F", "%23",
        "!$&'()*+,=:@", "|", "\"",
    ];

    /// <summary>Pieces upstream servers read in different ways.</summary>
    public static readonly string[] AmbiguousPieces =
    [
        "%2F", "%2f", "%5C", "%5c", "\\", ";", ";jsessionid=1", "%3B", "%2E", "%2e", "%2E%2E", ".%2e", "%252F", "%255c", "%25",
        "%00", "%0A", "%09", "%7F", "%C2%85", "%C0%AF", "%C0%AE", "%E0%80%AF", "%ED%A0%80", "%FF", "%C3", "%zz", "%4", "%", ".",
        "%20", "%2e%2e%2f", "%EF%BC%8F", "%EF%BC%BC", "%EF%BD%81", "%EF%BC%8E", "%E2%80%8B", "%E2%80%AE", "%C2%A0", "%E2%84%AA", "%E2%88%95", "%C2%A5", "%E2%80%A4", "%E3%80%80",
    ];

    private static readonly string[] AppWords = ["admin", "api", "reports", "istanbul", "~user"];

    private static readonly string[] Queries = ["", "", "", "?x=1", "?next=//admin/secret", "?a=%2F;b", "?%zz", "?q=caf%C3%A9&r=%41"];

    /// <summary>Any target: unambiguous and ambiguous pieces mixed.</summary>
    public static readonly Gen<string> Any = Target(Gen.Frequency((3, Gen.OneOf(PlainPieces)), (1, Gen.OneOf(AmbiguousPieces))));

    /// <summary>Targets built from plain pieces, dot segments and repeated slashes only: never ambiguous.</summary>
    public static readonly Gen<string> Unambiguous = Target(Gen.OneOf(PlainPieces));

    private static Gen<string> Target(Gen<string> piece)
    {
        // Whole app words often, so that every prefix (down to /admin/api) is reached under many spellings.
        Gen<string> pieces = Gen.Frequency((3, Gen.OneOf(AppWords)), (5, piece.Array[1, 3].Select(string.Concat)));
        Gen<string> word = Gen.Select(pieces, Gen.Int[0, 3], Case);
        Gen<string> segment = Gen.Frequency((6, word), (1, Gen.OneOf("", ".", "..")));
        Gen<string> path = Gen.Select(segment.Array[0, 5], Gen.Bool, (segments, trailingSlash) =>
            "/" + string.Join('/', segments) + (trailingSlash && segments.Length > 0 ? "/" : ""));
        return Gen.Select(path, Gen.OneOf(Queries), (p, q) => p + q);
    }

    private static string Case(string text, int casing) => casing switch
    {
        1 => text.ToUpperInvariant(),
        2 => text.ToLowerInvariant(),
        3 => string.Concat(text.Select((c, i) => i % 2 == 0 ? char.ToUpperInvariant(c) : c)),
        _ => text,
    };
}
