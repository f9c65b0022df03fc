using System.Text;
using System.Text.RegularExpressions;

namespace CasbCore.Activity;

/// <summary>
/// A PowerShell-style wildcard (<c>*</c>, <c>?</c>, <c>[a-z]</c>, backtick escapes), matched without regard to case.
/// The engine's own, so that every activity reader (files, a database) filters the same way. One that is not a wildcard
/// ([z-a]) is InvalidWildcard.
/// </summary>
public sealed class ActivityPattern
{
    private readonly Regex? _regex;

    public ActivityPattern(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Pattern = pattern;
        if (pattern.AsSpan().IndexOfAny("*?[`") >= 0)
        {
            try
            {
                _regex = new Regex(ToRegex(pattern), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
            }
            catch (ArgumentException ex)
            {
                // A range written backwards ([z-a]): the admin's input, not a failure of the engine.
                throw new CasbException(
                    "InvalidWildcard", CasbErrorKind.InvalidArgument,
                    $"'{DisplayText.Safe(pattern)}' is not a valid wildcard: {ex.Message} Write a range low to high ([a-z]), or escape [ with a backtick.",
                    pattern, ex);
            }
        }
    }

    public string Pattern { get; }

    /// <summary>True when the pattern has no wildcard: an exact (case-insensitive) value.</summary>
    public bool IsLiteral => _regex is null;

    /// <summary>A missing value matches as the empty string.</summary>
    public bool IsMatch(string? value) =>
        _regex is null ? string.Equals(Pattern, value ?? "", StringComparison.OrdinalIgnoreCase) : _regex.IsMatch(value ?? "");

    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            switch (c)
            {
                case '`' when i + 1 < pattern.Length:
                    regex.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '*':
                    regex.Append(".*");
                    break;
                case '?':
                    regex.Append('.');
                    break;
                case '[':
                    int close = pattern.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        regex.Append(@"\[");
                        break;
                    }

                    regex.Append('[');
                    foreach (char member in pattern.AsSpan(i + 1, close - i - 1))
                    {
                        regex.Append(member is '\\' or '^' or '[' ? "\\" + member : member.ToString());
                    }

                    regex.Append(']');
                    i = close;
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return regex.Append('$').ToString();
    }
}
