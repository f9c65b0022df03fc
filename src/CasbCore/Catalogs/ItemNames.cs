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
    /// <summary>How item names compare (<see cref="SignIn.UserNames.Comparer"/>): wherever the engine looks an app up by a policy's reference, as the validator does.</summary>
    public static StringComparer Comparer => SignIn.UserNames.Comparer;

    public static bool IsSame(string? a, string? b) => a is null || b is null ? a == b : Comparer.Equals(a, b);

    /// <summary>The name as stored: trimmed, in canonical form. An empty name is InvalidName (the validator's id).</summary>
    public static string Normalize(string? name, string kind)
    {
        string trimmed = SignIn.UserNames.Canonical(name ?? "");
        if (trimmed.Length == 0)
        {
            throw new CasbException("InvalidName", CasbErrorKind.InvalidArgument, $"The {kind} name is empty.", name);
        }

        return trimmed;
    }

    /// <summary>Null when <paramref name="name"/> is in the form <see cref="Normalize"/> stores, else what is wrong with it.</summary>
    public static string? FormProblem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Length == name.Trim().Length ? null : "it begins or ends with white space";
    }
}
