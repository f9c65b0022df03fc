using Npgsql;

namespace CasbCore.Store.Postgres;

/// <summary>
/// The store's tables in the database, created and migrated by the store itself: each migration runs once, in order,
/// in one transaction with its row in <c>casb.schema_migrations</c>, under an advisory lock so that gateways and
/// admins starting at the same moment migrate once. A database migrated by a newer CasbModule is refused, never
/// written to (its tables may mean something this version does not know).
/// </summary>
internal static class PostgresSchema
{
    /// <summary>The NOTIFY channel a new configuration revision is announced on (payload: the revision).</summary>
    public const string Channel = "casb_configuration";

    // Any constant distinct from other applications' advisory locks on the same database.
    private const long MigrationLock = 0x43415342_53544F52; // "CASBSTOR"

    /// <summary>The migrations, in order; version N is the N-th. Append only: a shipped migration never changes.</summary>
    public static IReadOnlyList<(string Description, string Sql)> Migrations { get; } =
    [
        ("configuration document and shared blobs", """
            create table casb.configuration (
                id smallint primary key default 1 check (id = 1),
                revision bigint not null check (revision > 0),
                schema_version integer not null,
                document text not null,
                modified_at timestamptz not null default now());
            create table casb.blobs (
                name text primary key,
                content bytea not null,
                modified_at timestamptz not null default now());
            """),
    ];

    public static int LatestVersion => Migrations.Count;

    /// <summary>Brings the database to <see cref="LatestVersion"/>; returns the version it was at.</summary>
    public static int Migrate(NpgsqlConnection connection, string location)
    {
        // Read first, without the lock or any DDL: a database already at this version needs neither, and a read-only
        // server (a standby) or a user without CREATE on the database can then still use the store.
        if (AppliedVersion(connection) is { } applied && applied >= LatestVersion)
        {
            return applied > LatestVersion ? throw Unsupported(location, applied) : applied;
        }

        using NpgsqlTransaction transaction = connection.BeginTransaction();
        Execute(connection, transaction, $"select pg_advisory_xact_lock({MigrationLock})");
        Execute(connection, transaction, """
            create schema if not exists casb;
            create table if not exists casb.schema_migrations (
                version integer primary key,
                description text not null,
                applied_at timestamptz not null default now());
            """);
        int current;
        using (var command = new NpgsqlCommand("select coalesce(max(version), 0) from casb.schema_migrations", connection, transaction))
        {
            current = Convert.ToInt32(command.ExecuteScalar());
        }

        if (current > LatestVersion)
        {
            throw Unsupported(location, current);
        }

        for (int version = current + 1; version <= LatestVersion; version++)
        {
            (string description, string sql) = Migrations[version - 1];
            Execute(connection, transaction, sql);
            using var record = new NpgsqlCommand("insert into casb.schema_migrations (version, description) values ($1, $2)", connection, transaction);
            record.Parameters.Add(new NpgsqlParameter { Value = version });
            record.Parameters.Add(new NpgsqlParameter { Value = description });
            record.ExecuteNonQuery();
        }

        transaction.Commit();
        return current;
    }

    // The version recorded in casb.schema_migrations; null when the table is not there yet.
    private static int? AppliedVersion(NpgsqlConnection connection)
    {
        using (var present = new NpgsqlCommand("select to_regclass('casb.schema_migrations') is not null", connection))
        {
            if (present.ExecuteScalar() is not true)
            {
                return null;
            }
        }

        using var command = new NpgsqlCommand("select coalesce(max(version), 0) from casb.schema_migrations", connection);
        return Convert.ToInt32(command.ExecuteScalar());
    }

    private static CasbException Unsupported(string location, int version) => new(
        "StoreSchemaUnsupported", CasbErrorKind.InvalidData,
        $"The database of the store '{location}' has store schema version {version}; this CasbModule knows up to {LatestVersion}. Update CasbModule. The database was left untouched.",
        location);

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
