namespace CasbCore.Catalogs;

/// <summary>How items are named: apps, groups and policies are one name each, compared ignoring case, stored trimmed.</summary>
public static class ItemNames
{
    public static bool IsSame(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>The name as stored: trimmed. An empty name is InvalidName (the validator's id).</summary>
    public static string Normalize(string? name, string kind)
    {
        string trimmed = (name ?? "").Trim();
        if (trimmed.Length == 0)
        {
            throw new CasbException("InvalidName", CasbErrorKind.InvalidArgument, $"A {kind} name is empty.", name);
        }

        return trimmed;
    }
}
