using System.Management.Automation;

namespace CasbModule;

/// <summary>Selects configuration items by name patterns, the way Get-Process does: wildcards may match nothing, a literal name must exist.</summary>
internal static class NameSelection
{
    public static bool IsSame(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

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
            bool wildcard = WildcardPattern.ContainsWildcardCharacters(pattern);
            Func<string, bool> matches = wildcard
                ? new WildcardPattern(pattern, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant).IsMatch
                : candidate => IsSame(candidate, pattern);
            List<T> hits = all.Where(item => matches(name(item))).ToList();
            if (hits.Count == 0 && !wildcard)
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
}
