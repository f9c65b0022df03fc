namespace CasbCore.SignIn;

/// <summary>
/// How user names compare, in one place: the policies' include/exclude lists (<c>PrincipalIndex</c>), group members,
/// and the sessions Revoke-CasbSession ends (<see cref="EndedSessions.UserKey"/>), so that what-if and enforcement agree
/// on who a name is. The canonical form is the trimmed name (as <see cref="SignInClaims.UserOf(IReadOnlyList{KeyValuePair{string, string}}, string)"/>
/// reads a session's user); two names are one user when they are equal ignoring case, ordinally.
/// </summary>
public static class UserNames
{
    /// <summary>Equal user names (ordinal, ignoring case).</summary>
    public static StringComparer Comparer => StringComparer.OrdinalIgnoreCase;

    /// <summary>The name as it is compared and stored: trimmed.</summary>
    public static string Canonical(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim();
    }
}
