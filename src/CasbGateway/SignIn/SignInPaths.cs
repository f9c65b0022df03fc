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
    public const string BackChannelLogout = "/.casb/backchannel-logout";

    /// <summary>
    /// The largest request body read under the prefix: anyone may POST there, and a form is read whole (the largest token
    /// the handlers read is 250 KB). The gateway's --max-request-body-size (none by default) holds when it is smaller.
    /// </summary>
    public const long MaxBodySize = 1024 * 1024;

    /// <summary>
    /// True for a path under the reserved prefix, however it is spelled: any case, repeated or back slashes before it,
    /// a leading "./", percent-encoded characters, also encoded twice (an upstream that decodes or collapses them must
    /// never see one of these paths). Reads the path once and allocates nothing: every request of every app passes here.
    /// </summary>
    public static bool IsReserved(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        int i = 0;
        int separators = 0;
        while (true)
        {
            int start = i;
            char c = Next(path, ref i);
            if (c is '/' or '\\')
            {
                separators++;
                continue;
            }

            // "./" (and "." before a separator) is the same folder: "/./.casb" is "/.casb".
            int afterDot = i;
            if (c == '.' && Next(path, ref afterDot) is '/' or '\\')
            {
                i = afterDot;
                separators++;
                continue;
            }

            i = start;
            break;
        }

        if (separators == 0)
        {
            return false;
        }

        foreach (char expected in ".casb")
        {
            if (char.ToLowerInvariant(Next(path, ref i)) != expected)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The next character of <paramref name="path"/> at <paramref name="i"/>, %XX decoded up to three times; '\0' at the end.</summary>
    private static char Next(string path, ref int i)
    {
        if (i >= path.Length)
        {
            return '\0';
        }

        char c = path[i++];
        for (int depth = 0; c == '%' && depth < 3 && i + 1 < path.Length && IsHex(path[i]) && IsHex(path[i + 1]); depth++)
        {
            c = (char)((Hex(path[i]) << 4) | Hex(path[i + 1]));
            i += 2;
            // "%252E": the decoded '%' starts another escape with the next two characters.
        }

        return c;
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int Hex(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
