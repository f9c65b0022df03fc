namespace CasbGateway.SignIn;

/// <summary>
/// The gateway's own paths under the reserved prefix /.casb on every app host. Nothing under the prefix is ever
/// forwarded to an app, whatever the app's sign-in setting (unknown paths there are a 404 page).
/// </summary>
internal static class SignInPaths
{
    public const string Prefix = "/.casb";
    public const string Callback = "/.casb/signin-oidc";
    public const string SignIn = "/.casb/signin";
    public const string SignOut = "/.casb/signout";
    public const string SignOutCallback = "/.casb/signout-callback";
    public const string RemoteSignOut = "/.casb/signout-oidc";
    public const string SignedOut = "/.casb/signed-out";

    /// <summary>
    /// True for a path under the reserved prefix, however it is spelled: any case, repeated or back slashes before it,
    /// percent-encoded characters (an upstream that decodes or collapses them must never see one of these paths).
    /// </summary>
    public static bool IsReserved(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        // Fast path for ordinary requests: no '.' near the start and no escape anywhere means no reserved path.
        if (path.IndexOf('%') < 0)
        {
            return HasReservedStart(path);
        }

        string decoded = path;
        // Decode until stable: %252E is '%2E' after one pass and '.' after two.
        for (int i = 0; i < 4; i++)
        {
            string next = Uri.UnescapeDataString(decoded);
            if (next == decoded)
            {
                break;
            }

            decoded = next;
        }

        return HasReservedStart(decoded);
    }

    private static bool HasReservedStart(string path)
    {
        int i = 0;
        while (i < path.Length && (path[i] == '/' || path[i] == '\\'))
        {
            i++;
        }

        // "/./.casb" and "/x/../.casb" are normalized by Kestrel before the gateway sees them; a leading "./" is not.
        while (i + 1 < path.Length && path[i] == '.' && (path[i + 1] == '/' || path[i + 1] == '\\'))
        {
            i += 2;
            while (i < path.Length && (path[i] == '/' || path[i] == '\\'))
            {
                i++;
            }
        }

        return i > 0 && path.AsSpan(i).StartsWith(".casb", StringComparison.OrdinalIgnoreCase);
    }
}
