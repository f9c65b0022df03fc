using System.Text;

namespace CasbGateway.SignIn;

/// <summary>
/// Where a browser goes back to after signing in. Only a path on the same app host is ever used, so the sign-in can
/// never become an open redirect: an absolute URL must name the request's own scheme, host and port, and is reduced
/// to its path and query; a relative one must be a plain absolute path ("/x"), never "//host" or "/\host", which
/// browsers treat as another host. Anything else is refused. What is returned is ASCII (any other character
/// percent-encoded as UTF-8), since it becomes a Location header, which Kestrel refuses to send otherwise.
/// </summary>
internal static class ReturnUrls
{
    /// <summary>The path and query to return to, or null when <paramref name="returnUrl"/> leaves <paramref name="host"/>.</summary>
    /// <param name="returnUrl">What the client asked for.</param>
    /// <param name="scheme">The request's scheme.</param>
    /// <param name="host">The request's Host header (host and port).</param>
    public static string? Normalize(string? returnUrl, string scheme, string host)
    {
        if (string.IsNullOrEmpty(returnUrl))
        {
            return "/";
        }

        foreach (char c in returnUrl)
        {
            // Browsers drop tabs and newlines inside URLs ("/\t/evil.example" is "//evil.example") and treat '\' as '/'.
            if (char.IsControl(c) || char.IsWhiteSpace(c) || c == '\\')
            {
                return null;
            }
        }

        if (returnUrl[0] == '/')
        {
            return IsLocalPath(returnUrl) ? EscapeNonAscii(returnUrl) : null;
        }

        if (!Uri.TryCreate(returnUrl, UriKind.Absolute, out Uri? uri)
            || !Uri.TryCreate($"{scheme}://{host}/", UriKind.Absolute, out Uri? self)
            || !string.Equals(uri.Scheme, scheme, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(uri.Authority, self.Authority, StringComparison.OrdinalIgnoreCase)
            || uri.UserInfo.Length > 0)
        {
            return null;
        }

        string local = uri.PathAndQuery;
        return IsLocalPath(local) ? EscapeNonAscii(local) : null;
    }

    /// <summary><paramref name="path"/> with every non-ASCII character percent-encoded as UTF-8 ("/café" is "/caf%C3%A9").</summary>
    private static string EscapeNonAscii(string path)
    {
        if (Ascii.IsValid(path))
        {
            return path;
        }

        var escaped = new StringBuilder(path.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in path.EnumerateRunes())
        {
            if (rune.IsAscii)
            {
                escaped.Append((char)rune.Value);
                continue;
            }

            int length = rune.EncodeToUtf8(utf8);
            foreach (byte b in utf8[..length])
            {
                escaped.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return escaped.ToString();
    }

    /// <summary>A path the browser resolves on the same host: starts with one '/', no second '/' or '\' right after it.</summary>
    public static bool IsLocalPath(string path) =>
        path.Length > 0 && path[0] == '/' && (path.Length == 1 || (path[1] != '/' && path[1] != '\\'))
        && !path.Contains('\\') && !path.Any(char.IsControl);
}
