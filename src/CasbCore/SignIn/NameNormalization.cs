namespace CasbCore.SignIn;

/// <summary>
/// Puts a name in the one form names are compared in, whatever process reads it: fullwidth and halfwidth forms mapped to
/// their normal forms (RFC 8265's width mapping), then Unicode Normalization Form C (UAX #15). "José" typed precomposed
/// and "Jose" + U+0301 from an identity provider that sends it decomposed are one user, as are "ｊｏｈｎ" and "john".
/// </summary>
/// <remarks>
/// The gateway runs with InvariantGlobalization, where <see cref="string.Normalize()"/> returns its input unchanged, and
/// pwsh runs with ICU, where it does not: a name normalized by the BCL would be one user to Test-CasbAccess and two to the
/// gateway. So the engine carries the Unicode data it needs (<see cref="NameNormalizationData"/>, generated from one
/// Unicode version) and never asks the platform. A name of characters below U+0300 only (ASCII, Latin-1, most Latin
/// letters with accents precomposed) is already in this form and is returned as it is, without allocating.
/// </remarks>
public static class NameNormalization
{
    /// <summary>The Unicode version of the data the form follows.</summary>
    public static string UnicodeVersion => NameNormalizationData.UnicodeVersion;

    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    /// <summary>True when every character of <paramref name="text"/> is below U+0300, where no character changes.</summary>
    public static bool IsPlain(ReadOnlySpan<char> text)
    {
        // A loop, not ContainsAnyExceptInRange: that allocated 96 bytes a call here, and every decision asks (DecisionAllocationTests).
        foreach (char c in text)
        {
            if (c >= '\u0300')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><paramref name="text"/> width-mapped and in NFC; the same instance when it already is.</summary>
    public static string Normalize(string text) => Normalize(text, widthMapping: true);

    /// <summary>
    /// <paramref name="text"/> in Unicode Normalization Form C only (no width mapping), as <see cref="string.Normalize()"/>
    /// gives it where ICU is loaded: tests/Pester/NameNormalization.Tests.ps1 compares the two.
    /// </summary>
    public static string ToFormC(string text) => Normalize(text, widthMapping: false);

    private static string Normalize(string text, bool widthMapping)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsPlain(text))
        {
            return text;
        }

        var points = new List<int>(text.Length + 4);
        for (int i = 0; i < text.Length; i++)
        {
            int point = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                point = char.ConvertToUtf32(text[i], text[i + 1]);
                i++;
            }

            Decompose(widthMapping ? Tables.WidthMapped(point) : point, points);
        }

        Reorder(points);
        Compose(points);

        var builder = new System.Text.StringBuilder(points.Count + 4);
        foreach (int point in points)
        {
            if (point > 0xFFFF)
            {
                builder.Append(char.ConvertFromUtf32(point));
            }
            else
            {
                builder.Append((char)point); // a lone surrogate stays as it came
            }
        }

        string normalized = builder.ToString();
        return string.Equals(normalized, text, StringComparison.Ordinal) ? text : normalized;
    }

    /// <summary>The canonical combining class of a code point (0 for a starter).</summary>
    internal static int CombiningClass(int point)
    {
        if (point < 0x300)
        {
            return 0;
        }

        ReadOnlySpan<int> runs = NameNormalizationData.CombiningClasses;
        int low = 0, high = runs.Length / 3 - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            if (point < runs[middle * 3])
            {
                high = middle - 1;
            }
            else if (point > runs[middle * 3 + 1])
            {
                low = middle + 1;
            }
            else
            {
                return runs[middle * 3 + 2];
            }
        }

        return 0;
    }

    // Full canonical decomposition of one code point, appended (Hangul syllables algorithmically, UAX #15 §16).
    private static void Decompose(int point, List<int> output)
    {
        if (point is >= SBase and < SBase + SCount)
        {
            int index = point - SBase;
            output.Add(LBase + index / NCount);
            output.Add(VBase + index % NCount / TCount);
            if (index % TCount != 0)
            {
                output.Add(TBase + index % TCount);
            }

            return;
        }

        if (point >= 0xC0 && Tables.Decomposition(point) is (int first, int second))
        {
            Decompose(first, output);
            if (second != 0)
            {
                Decompose(second, output);
            }

            return;
        }

        output.Add(point);
    }

    // The canonical ordering algorithm: each run of non-starters sorted by combining class, stably.
    private static void Reorder(List<int> points)
    {
        for (int i = 1; i < points.Count; i++)
        {
            int point = points[i];
            int @class = CombiningClass(point);
            if (@class == 0)
            {
                continue;
            }

            int j = i;
            while (j > 0 && CombiningClass(points[j - 1]) > @class)
            {
                points[j] = points[j - 1];
                j--;
            }

            points[j] = point;
        }
    }

    // The canonical composition algorithm (UAX #15 §1.3): each character that is not blocked from the last starter and
    // forms a primary composite with it is merged into it.
    private static void Compose(List<int> points)
    {
        if (points.Count < 2)
        {
            return;
        }

        int starterAt = -1;
        int lastClass = -1; // the class of the last character kept after the starter; -1: none since the starter
        int kept = 0;
        for (int i = 0; i < points.Count; i++)
        {
            int point = points[i];
            int @class = CombiningClass(point);
            if (starterAt >= 0 && (lastClass == -1 || (lastClass != 0 && lastClass < @class))
                && Composite(points[starterAt], point) is int composite)
            {
                points[starterAt] = composite;
                continue;
            }

            if (@class == 0)
            {
                starterAt = kept;
                lastClass = -1;
            }
            else
            {
                lastClass = @class;
            }

            points[kept++] = point;
        }

        points.RemoveRange(kept, points.Count - kept);
    }

    private static int? Composite(int first, int second)
    {
        if (first is >= LBase and < LBase + LCount && second is >= VBase and < VBase + VCount)
        {
            return SBase + ((first - LBase) * VCount + (second - VBase)) * TCount;
        }

        if (first is >= SBase and < SBase + SCount && (first - SBase) % TCount == 0 && second is > TBase and < TBase + TCount)
        {
            return first + (second - TBase);
        }

        return Tables.Composition(first, second);
    }

    // Built on first use: a name below U+0300 never needs them.
    private static class Tables
    {
        private static readonly Dictionary<int, (int First, int Second)> Decompositions = BuildDecompositions();
        private static readonly Dictionary<long, int> Compositions = BuildCompositions();
        private static readonly Dictionary<int, int> Widths = BuildWidths();

        public static (int First, int Second)? Decomposition(int point) =>
            Decompositions.TryGetValue(point, out (int First, int Second) parts) ? parts : null;

        public static int? Composition(int first, int second) =>
            Compositions.TryGetValue(((long)first << 21) | (uint)second, out int composite) ? composite : null;

        public static int WidthMapped(int point) => point >= 0x3000 && Widths.TryGetValue(point, out int mapped) ? mapped : point;

        private static Dictionary<int, (int, int)> BuildDecompositions()
        {
            ReadOnlySpan<int> rows = NameNormalizationData.Decompositions;
            var map = new Dictionary<int, (int, int)>(rows.Length / 3);
            for (int i = 0; i < rows.Length; i += 3)
            {
                map[rows[i]] = (rows[i + 1], rows[i + 2]);
            }

            return map;
        }

        private static Dictionary<long, int> BuildCompositions()
        {
            ReadOnlySpan<int> rows = NameNormalizationData.Compositions;
            var map = new Dictionary<long, int>(rows.Length / 3);
            for (int i = 0; i < rows.Length; i += 3)
            {
                map[((long)rows[i] << 21) | (uint)rows[i + 1]] = rows[i + 2];
            }

            return map;
        }

        private static Dictionary<int, int> BuildWidths()
        {
            ReadOnlySpan<int> rows = NameNormalizationData.WidthMappings;
            var map = new Dictionary<int, int>(rows.Length / 2);
            for (int i = 0; i < rows.Length; i += 2)
            {
                map[rows[i]] = rows[i + 1];
            }

            return map;
        }
    }
}
