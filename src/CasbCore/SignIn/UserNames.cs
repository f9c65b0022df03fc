namespace CasbCore.SignIn;

/// <summary>
/// How user and group names compare, in one place: the policies' include/exclude lists (<c>PrincipalIndex</c>), group
/// members and the groups a token lists, the identity the engine resolves (<c>IdentityResolver</c>), and the sessions
/// Revoke-CasbSession ends (<see cref="EndedSessions.UserKey"/>), so that what-if and enforcement agree on who a name is.
/// The canonical form is the trimmed name, width-mapped and in Unicode NFC (<see cref="NameNormalization"/>, RFC 8265's
/// UsernameCasePreserved); two names are one user when their canonical forms are equal ignoring case, ordinally.
/// </summary>
public static class UserNames
{
    /// <summary>Equal names: equal canonical forms, ignoring case (ordinal). "José" precomposed and decomposed are one.</summary>
    public static StringComparer Comparer { get; } = new CanonicalComparer();

    /// <summary>The name as it is compared and stored: trimmed, width-mapped and in NFC (the same instance when it already is).</summary>
    public static string Canonical(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return NameNormalization.Normalize(name.Trim()).Trim(); // an ordinary name: the same instance, no copy
    }

    /// <summary>
    /// Compares canonical forms (<see cref="Canonical"/>, trimmed too: " john" from a token is "John" of a policy); a trimmed
    /// name below U+0300 is its own canonical form and costs no allocation.
    /// </summary>
    private sealed class CanonicalComparer : StringComparer
    {
        public override int Compare(string? x, string? y) =>
            StringComparer.OrdinalIgnoreCase.Compare(x is null ? null : Canonical(x), y is null ? null : Canonical(y));

        public override bool Equals(string? x, string? y) =>
            ReferenceEquals(x, y)
            || (x is not null && y is not null && string.Equals(Canonical(x), Canonical(y), StringComparison.OrdinalIgnoreCase));

        public override int GetHashCode(string obj)
        {
            ArgumentNullException.ThrowIfNull(obj);
            return StringComparer.OrdinalIgnoreCase.GetHashCode(Canonical(obj));
        }
    }
}
