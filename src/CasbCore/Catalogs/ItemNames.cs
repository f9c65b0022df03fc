namespace CasbCore.Catalogs;

/// <summary>
/// How items are named: apps, groups and policies are one name each, compared ignoring case, stored trimmed. A name
/// with white space at either end is InvalidName wherever it comes from (a cmdlet stores it trimmed; an import, a copied
/// or hand-edited store is refused by the validator): " Mail" beside "Mail" would be two items that look like one, and
/// the engine, which trims a policy's references, would not apply the policies naming " Mail" to it. For the same
/// reason names compare in their canonical form (<see cref="SignIn.UserNames.Canonical"/>: width-mapped, Unicode NFC),
/// and a cmdlet stores that form: "Café" typed precomposed and decomposed is one group.
/// </summary>
public static class ItemNames
{
    /// <summary>
    /// The error id (API) of a name that cannot be one: empty, white space at either end (a stored item), or a character
    /// <see cref="CharacterProblem"/> refuses. The same id for every name that reaches the store: items, users, the
    /// identity provider, a gateway.
    /// </summary>
    public const string InvalidNameErrorId = "InvalidName";

    /// <summary>How item names compare (<see cref="SignIn.UserNames.Comparer"/>): wherever the engine looks an app up by a policy's reference, as the validator does.</summary>
    public static StringComparer Comparer => SignIn.UserNames.Comparer;

    public static bool IsSame(string? a, string? b) => a is null || b is null ? a == b : Comparer.Equals(a, b);

    /// <summary>The name as stored: trimmed, in canonical form. An empty name is InvalidName (the validator's id).</summary>
    public static string Normalize(string? name, string kind)
    {
        ThrowIfUnfit(name ?? "", $"The {kind} name");
        string trimmed = SignIn.UserNames.Canonical(name ?? "");
        if (trimmed.Length == 0)
        {
            throw new CasbException(InvalidNameErrorId, CasbErrorKind.InvalidArgument, $"The {kind} name is empty.", name);
        }

        return trimmed;
    }

    /// <summary>
    /// Null when <paramref name="name"/> holds only characters a name may hold, else which one and where. Refused: what
    /// <see cref="DisplayText"/> has to escape (C0 controls, DEL, C1 controls, the bidi marks and controls, U+2028 and
    /// U+2029) and a lone UTF-16 surrogate (no character at all: the store's UTF-8 cannot hold it as typed). Such a name
    /// is stored but never typed back or matched: a user name with an ESC would be revoked or included while nobody signs in
    /// under it. Zero-width characters (U+200B–U+200D, U+2060, U+FEFF) are kept: joiners belong to emoji and several scripts.
    /// </summary>
    public static string? CharacterProblem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (DisplayText.NeedsEscape(c))
            {
                return $"it contains the control or bidi character {DisplayText.Safe(c.ToString())} at position {i + 1}";
            }

            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return $"it contains a lone surrogate \\u{(int)c:x4} at position {i + 1}";
            }
        }

        return null;
    }

    /// <summary>
    /// Throws InvalidName (InvalidArgument) when <see cref="CharacterProblem"/> finds one in the name as it would be stored,
    /// trimmed: "Mail" read with its line break from a file is "Mail". <paramref name="what"/> begins the message, which holds
    /// the name as given: the cmdlets show it escaped (<see cref="DisplayText"/>), as every message.
    /// </summary>
    public static void ThrowIfUnfit(string name, string what)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (CharacterProblem(name.Trim()) is { } problem)
        {
            throw new CasbException(InvalidNameErrorId, CasbErrorKind.InvalidArgument, $"{what} '{name}' is refused: {problem}.", name);
        }
    }

    /// <summary>A name as a message may show it: escaped (<see cref="DisplayText"/>), and a lone surrogate as \uHHHH.</summary>
    public static string SafeName(string name)
    {
        string safe = DisplayText.Safe(name);
        var shown = new System.Text.StringBuilder(safe.Length);
        for (int i = 0; i < safe.Length; i++)
        {
            char c = safe[i];
            if (char.IsHighSurrogate(c) && i + 1 < safe.Length && char.IsLowSurrogate(safe[i + 1]))
            {
                shown.Append(c).Append(safe[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                shown.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                shown.Append(c);
            }
        }

        return shown.ToString();
    }

    /// <summary>Null when <paramref name="name"/> is in the form <see cref="Normalize"/> stores, else what is wrong with it.</summary>
    public static string? FormProblem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Length == name.Trim().Length ? null : "it begins or ends with white space";
    }
}
