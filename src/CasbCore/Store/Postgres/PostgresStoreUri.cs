using Npgsql;

namespace CasbCore.Store.Postgres;

/// <summary>
/// A PostgreSQL store's URI, <c>postgresql://user@host:port/database</c>, as libpq writes it, turned into Npgsql's
/// connection settings. It never carries the password: Npgsql reads PGPASSWORD, else the passfile (PGPASSFILE, else
/// ~/.pgpass), as libpq does, so the secret is in neither the configuration, the gateway's command line nor the
/// objects cmdlets write.
/// </summary>
public sealed class PostgresStoreUri
{
    // The libpq query parameters the store understands, and Npgsql's name for each.
    private static readonly string[] KnownParameters = ["sslmode", "sslrootcert", "connect_timeout", "application_name"];

    private PostgresStoreUri(string location, NpgsqlConnectionStringBuilder settings)
    {
        Location = location;
        Settings = settings;
    }

    /// <summary>The URI in canonical form (scheme postgresql, host, port, database, known parameters).</summary>
    public string Location { get; }

    public string Host => Settings.Host!;

    public int Port => Settings.Port;

    public string Database => Settings.Database!;

    internal NpgsqlConnectionStringBuilder Settings { get; }

    public static PostgresStoreUri Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("postgresql" or "postgres") || string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid(trimmed, "expected postgresql://user@host:port/database");
        }

        string userInfo = uri.UserInfo;
        if (userInfo.Contains(':') || HasPasswordParameter(trimmed))
        {
            throw new CasbException(
                "StoreUriHasPassword", CasbErrorKind.SecurityError,
                $"The store URI '{Redact(trimmed)}' contains a password. Leave it out: the password comes from PGPASSWORD or the passfile (PGPASSFILE, else ~/.pgpass), so that it is never written into gateway records, command lines or output.",
                Redact(trimmed));
        }

        string user = Uri.UnescapeDataString(userInfo);
        string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/'))
        {
            throw Invalid(trimmed, "the database name is missing (postgresql://user@host:port/database)");
        }

        var settings = new NpgsqlConnectionStringBuilder
        {
            Host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = database,
            ApplicationName = "CasbModule",
            Timeout = 10,
            CommandTimeout = 30,
            // Npgsql's own pool; few connections: writes are rare and short, and the gateway holds one for LISTEN.
            MaxPoolSize = 10,
        };
        if (user.Length > 0)
        {
            settings.Username = user;
        }

        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(parts[0]);
            string value = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
            switch (key)
            {
                case "sslmode":
                    settings.SslMode = value switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw Invalid(trimmed, $"sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full"),
                    };
                    break;
                case "sslrootcert":
                    settings.RootCertificate = value;
                    break;
                case "connect_timeout":
                    settings.Timeout = int.TryParse(value, out int seconds) && seconds > 0 ? seconds : throw Invalid(trimmed, $"connect_timeout '{value}' is not a positive number of seconds");
                    break;
                case "application_name":
                    settings.ApplicationName = value;
                    break;
                default:
                    throw Invalid(trimmed, $"the parameter '{key}' is not supported (supported: {string.Join(", ", KnownParameters)})");
            }

            parameters[key] = value;
        }

        string host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{settings.Host}]" : settings.Host!;
        string query = parameters.Count == 0 ? "" : "?" + string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        string location = $"postgresql://{(user.Length > 0 ? Uri.EscapeDataString(user) + "@" : "")}{host}:{settings.Port}/{Uri.EscapeDataString(database)}{query}";
        return new PostgresStoreUri(location, settings);
    }

    /// <summary>
    /// <paramref name="location"/> with the password of its user info, if any, replaced by "***", and without its query
    /// when that has libpq's password= or sslpassword= parameter. A password may hold '@', '/', '?', '&amp;' or '#' unescaped, so the user
    /// info ends at the last '@' (a query's '@' after it only hides more), and a password= query goes as a whole.
    /// </summary>
    public static string Redact(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        int scheme = location.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return location;
        }

        // Twice: a '?' or '@' of a password can hide a password= query from the first look, or the user info from it.
        string redacted = location;
        bool queryCut = false;
        for (int pass = 0; pass < 2; pass++)
        {
            if (HasPasswordParameter(redacted))
            {
                redacted = string.Concat(redacted.AsSpan(0, redacted.IndexOf('?', StringComparison.Ordinal)), "?***");
                queryCut = true;
            }

            int at = redacted.LastIndexOf('@');
            int colon = redacted.IndexOf(':', scheme + 3);
            if (colon >= 0 && at > colon)
            {
                redacted = string.Concat(redacted.AsSpan(0, colon + 1), "***", redacted.AsSpan(at));
            }
            else if (queryCut && colon >= 0 && at < 0)
            {
                // The cut may have taken the '@' that ended a password holding a '?': whatever follows the colon goes.
                redacted = string.Concat(redacted.AsSpan(0, colon + 1), "***");
            }
        }

        return redacted;
    }

    // libpq's password= or sslpassword= (the client key's) in the query (any case, escaped or not): a password in the URI
    // as much as user:password@ is.
    private static bool HasPasswordParameter(string text)
    {
        int query = text.IndexOf('?', StringComparison.Ordinal);
        return query >= 0 && text[(query + 1)..].Split('&', '#').Any(pair =>
            Uri.UnescapeDataString(pair.Split('=', 2)[0]).Trim() is var key
            && (key.Equals("password", StringComparison.OrdinalIgnoreCase) || key.Equals("sslpassword", StringComparison.OrdinalIgnoreCase)));
    }

    private static CasbException Invalid(string text, string why) =>
        new("StoreUriInvalid", CasbErrorKind.InvalidArgument, $"'{Redact(text)}' is not a PostgreSQL store URI: {why}.", Redact(text));
}
