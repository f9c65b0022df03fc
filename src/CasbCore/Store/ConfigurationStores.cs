using System.Collections.Concurrent;
using CasbCore.Store.Postgres;

namespace CasbCore.Store;

/// <summary>Opens the store an admin named: a folder (<see cref="CasbStore"/>) or a <c>postgresql://</c> URI (<see cref="PostgresStore"/>).</summary>
public static class ConfigurationStores
{
    // One PostgresStore per URI and process: it owns the connection pool and migrates the schema once.
    private static readonly ConcurrentDictionary<string, Lazy<PostgresStore>> Databases = new(StringComparer.Ordinal);

    /// <summary>True for <c>postgresql://…</c> and <c>postgres://…</c> (libpq's two spellings).</summary>
    public static bool IsDatabaseUri(string? location) =>
        location is not null
        && (location.TrimStart().StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || location.TrimStart().StartsWith("postgres://", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The store at <paramref name="location"/>, else <c>$env:CASB_STORE</c>, else the per-user default folder. A URI
    /// with a password is refused (StoreUriHasPassword): the password comes from PGPASSWORD or the passfile.
    /// </summary>
    public static IConfigurationStore Open(string? location = null)
    {
        string resolved = CasbStore.ResolvePath(location);
        if (!IsDatabaseUri(resolved))
        {
            return new CasbStore(resolved);
        }

        PostgresStoreUri uri = PostgresStoreUri.Parse(resolved);
        return Databases.GetOrAdd(uri.Location, _ => new Lazy<PostgresStore>(() => new PostgresStore(uri))).Value;
    }

    /// <summary>This host's folder for the store at a resolved <paramref name="location"/> (see <see cref="IConfigurationStore.LocalDirectory"/>).</summary>
    public static string LocalDirectoryOf(string location) =>
        IsDatabaseUri(location) ? PostgresStore.LocalDirectoryFor(PostgresStoreUri.Parse(location)) : Path.GetFullPath(location);

    /// <summary>A location fit for messages: a URI's password, if someone typed one, is replaced.</summary>
    public static string Redact(string location) => PostgresStoreUri.Redact(location);
}
