namespace CasbCore.Store;

/// <summary>The shared blobs' names, and the one check every store applies to a name before using it as a path or key.</summary>
public static class StoreBlobNames
{
    /// <summary>The gateway's self-signed server certificate, created once for every gateway on the store.</summary>
    public const string ServerCertificate = "gateway/server.pfx";

    /// <summary>The data-protection key ring (session cookies, sign-in state): one blob per key.</summary>
    public const string KeysFolder = "keys/";

    /// <summary>
    /// The claims gateways on a database store race for before one makes a new key (one blob per key count). Outside
    /// <see cref="KeysFolder"/>: the key repository reads every blob there as a key.
    /// </summary>
    public const string KeyClaimsFolder = "key-claims/";

    /// <summary>The sign-in sessions signed out before they expire (<see cref="SignIn.EndedSessions"/>): one small list.</summary>
    public const string EndedSessions = "sessions/ended.json";

    /// <summary>
    /// A blob name is one or more segments of letters, digits, '.', '-' and '_' joined by '/', none of them "." or "..":
    /// a name can never leave the store folder or name something outside the store's blobs.
    /// </summary>
    public static string Check(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string[] segments = name.Split('/');
        bool valid = name.Length is > 0 and <= 200 && segments.All(s =>
            s.Length > 0 && s is not "." and not ".." && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'));
        if (!valid)
        {
            throw new CasbException("StoreBlobNameInvalid", CasbErrorKind.InvalidArgument, $"'{name}' is not a valid store blob name.", name);
        }

        return name;
    }
}
