using System.Management.Automation;

namespace CasbModule;

/// <summary>
/// Selects configuration items by name patterns, the way Get-Process does: wildcards may match nothing, a literal name must
/// exist. Names may hold the wildcard characters themselves ([ ] * ? `): a pattern that is an item's name as stored selects
/// that item only (so a name passed on from a variable or a tab completion never reaches its neighbours), an escaped one
/// (<see cref="WildcardPattern.Escape(string)"/>) names it too, and one that is no valid pattern is a literal name.
/// </summary>
internal static class NameSelection
{
    public static bool IsSame(string a, string b) => CasbCore.Catalogs.ItemNames.IsSame(a, b);

    /// <summary>Items matching any pattern (all items when there are none), in store order. <paramref name="notFound"/> gets each literal name that matched nothing.</summary>
    public static List<T> Select<T>(IEnumerable<T> items, Func<T, string> name, IReadOnlyCollection<string>? patterns, Action<string> notFound)
    {
        List<T> all = items.ToList();
        if (patterns is null || patterns.Count == 0)
        {
            return all;
        }

        var selected = new List<T>();
        foreach (string pattern in patterns)
        {
            WildcardPattern? wildcard = WildcardPattern.ContainsWildcardCharacters(pattern) ? TryPattern(pattern) : null;
            List<T> hits = all.Where(item => IsSame(name(item), pattern)).ToList();
            if (hits.Count == 0)
            {
                Func<string, bool> matches = wildcard is not null
                    ? wildcard.IsMatch
                    : candidate => IsSame(candidate, WildcardPattern.Unescape(pattern));
                hits = all.Where(item => matches(name(item))).ToList();
            }

            if (hits.Count == 0 && wildcard is null)
            {
                notFound(pattern);
            }

            foreach (T hit in hits)
            {
                if (!selected.Contains(hit))
                {
                    selected.Add(hit);
                }
            }
        }

        return selected;
    }

    /// <summary>
    /// A filter of -Subject, -Issuer, -Thumbprint: <paramref name="pattern"/> as a wildcard pattern, or as a literal text when
    /// it has no wildcard or is no valid pattern (<paramref name="literal"/>); either way the text as written matches too.
    /// </summary>
    public static Func<string, bool> Matcher(string pattern, out bool literal)
    {
        WildcardPattern? wildcard = WildcardPattern.ContainsWildcardCharacters(pattern) ? TryPattern(pattern) : null;
        literal = wildcard is null;
        string unescaped = literal ? WildcardPattern.Unescape(pattern) : pattern;
        return candidate => IsSame(candidate, pattern) || (wildcard?.IsMatch(candidate) ?? IsSame(candidate, unescaped));
    }

    /// <summary>The pattern, or null when it is none ("Block [x": an unclosed bracket), which is then a literal name.</summary>
    private static WildcardPattern? TryPattern(string pattern)
    {
        var compiled = new WildcardPattern(pattern, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
        try
        {
            compiled.IsMatch(""); // parses the pattern
            return compiled;
        }
        catch (WildcardPatternException)
        {
            return null;
        }
    }
}
