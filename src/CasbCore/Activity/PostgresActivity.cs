using System.Globalization;
using Npgsql;

namespace CasbCore.Activity;

/// <summary>
/// The activity table on PostgreSQL: <c>casb_activity</c>, partitioned by UTC day (<c>casb_activity_YYYYMMDD</c>), one
/// row per record with the columns queries filter on and the record's JSON as the gateway wrote it. Every replica writes
/// the same table (the <c>gateway</c> column says which); retention drops whole partitions.
/// </summary>
public static class PostgresActivity
{
    public const string Table = "casb_activity";

    /// <summary>
    /// Idempotent: a gateway or Get-CasbActivity may run it at every start. Three indexes, each made on every day
    /// partition: time (newest first, -First), correlation_id, and the time of the records that are not routine allowed
    /// requests (blocks, Monitor, session-policy file events, sign-ins, Summary records), so that "-Action Block" or
    /// "-Activity Download" finds its few rows among a day of millions without reading the day; routine requests, nearly
    /// every row, are not in it and cost the writer nothing there.
    /// </summary>
    public const string SchemaSql = $"""
        CREATE TABLE IF NOT EXISTS {Table} (
            time timestamptz NOT NULL,
            correlation_id text NOT NULL,
            gateway text,
            app text,
            user_name text,
            device text,
            device_subject text,
            action text NOT NULL,
            kind text NOT NULL,
            record json NOT NULL
        ) PARTITION BY RANGE (time);
        CREATE INDEX IF NOT EXISTS {Table}_time ON {Table} (time DESC);
        CREATE INDEX IF NOT EXISTS {Table}_correlation_id ON {Table} (correlation_id);
        CREATE INDEX IF NOT EXISTS {Table}_notable ON {Table} (time DESC) WHERE action <> 'Allow' OR kind <> 'Access';
        """;

    // CREATE INDEX IF NOT EXISTS takes a share lock on the table and every partition before it finds the index there,
    // which waits for (and holds up) the replicas' COPY: look first, and run the DDL only when something is missing.
    private const string SchemaPresentSql = $"""
        SELECT to_regclass('{Table}') IS NOT NULL AND to_regclass('{Table}_time') IS NOT NULL
            AND to_regclass('{Table}_correlation_id') IS NOT NULL AND to_regclass('{Table}_notable') IS NOT NULL
        """;

    /// <summary>
    /// An Npgsql connection string from a store URI, <c>postgresql://user@host:port/database</c>, read as the PostgreSQL
    /// store reads it (<see cref="Store.Postgres.PostgresStoreUri"/>: the password from PGPASSWORD or the passfile, a URI
    /// with one refused), or a connection string as it is.
    /// </summary>
    public static string ConnectionString(string uriOrConnectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uriOrConnectionString);
        return Store.ConfigurationStores.IsDatabaseUri(uriOrConnectionString)
            ? Store.Postgres.PostgresStoreUri.Parse(uriOrConnectionString).Settings.ConnectionString
            : uriOrConnectionString;
    }

    /// <summary>
    /// <paramref name="value"/> as a text column holds it: a NUL and a lone surrogate (a client certificate's subject may
    /// carry either) become U+FFFD, which the server takes; without this one such record fails its whole batch, and the
    /// pump retries that batch for ever. Only a wildcard's * and ? match U+FFFD under ILIKE, as only they match the
    /// character it stands for in the engine (<see cref="PostgresActivityReader.Like"/> keeps NUL out of SQL), so a column
    /// filter still narrows exactly; the record's JSON keeps the value.
    /// </summary>
    public static string? Column(string? value)
    {
        if (value is null || !NeedsColumnForm(value))
        {
            return value;
        }

        var column = new System.Text.StringBuilder(value.Length);
        foreach (System.Text.Rune rune in value.EnumerateRunes())
        {
            // An invalid UTF-16 unit enumerates as U+FFFD already.
            column.Append(rune.Value == 0 ? System.Text.Rune.ReplacementChar : rune);
        }

        return column.ToString();
    }

    private static bool NeedsColumnForm(string value)
    {
        foreach (char c in value)
        {
            if (c == '\0' || char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }

    public static string PartitionName(DateOnly day) => $"{Table}_{day:yyyyMMdd}";

    /// <summary>The statement that creates the partition of <paramref name="day"/> if it is missing (<see cref="EnsurePartition"/> runs it under the creation lock).</summary>
    public static string PartitionSql(DateOnly day)
    {
        DateTime from = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        return string.Create(CultureInfo.InvariantCulture,
            $"CREATE TABLE IF NOT EXISTS {PartitionName(day)} PARTITION OF {Table} FOR VALUES FROM ('{from:yyyy-MM-dd}T00:00:00Z') TO ('{from.AddDays(1):yyyy-MM-dd}T00:00:00Z')");
    }

    public static void EnsureSchema(NpgsqlConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using (var present = new NpgsqlCommand(SchemaPresentSql, connection))
        {
            if (present.ExecuteScalar() is true)
            {
                return;
            }
        }

        CreateLocked(connection, SchemaSql);
    }

    /// <summary>Creates the partition of <paramref name="day"/> if it is missing (safe under concurrent replicas).</summary>
    public static void EnsurePartition(NpgsqlConnection connection, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(connection);
        CreateLocked(connection, PartitionSql(day));
    }

    // Any constant distinct from other applications' advisory locks on the same database (and the store's own).
    private const long CreationLock = 0x43415342_41435456; // "CASBACTV"

    /// <summary>
    /// Runs CREATE ... IF NOT EXISTS statements in one transaction under an advisory lock. The statement is not safe
    /// against itself: two sessions that both see no table both create it, and the second fails on pg_type's unique index
    /// (23505) or with 42P07. Under the lock the second waits for the first to commit, then finds the table.
    /// </summary>
    private static void CreateLocked(NpgsqlConnection connection, string sql)
    {
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({CreationLock})", connection, transaction))
        {
            lockCommand.ExecuteNonQuery();
        }

        using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>Drops the day partitions older than <paramref name="retentionDays"/> days; returns their names.</summary>
    public static IReadOnlyList<string> DropExpired(NpgsqlConnection connection, int retentionDays, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var dropped = new List<string>();
        if (retentionDays < 1)
        {
            return dropped;
        }

        DateOnly oldestKept = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-(retentionDays - 1));
        var partitions = new List<string>();
        using (var list = new NpgsqlCommand(
            $"SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = '{Table}'", connection))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                partitions.Add(reader.GetString(0));
            }
        }

        foreach (string partition in partitions)
        {
            if (partition.Length == Table.Length + 9
                && DateOnly.TryParseExact(partition.AsSpan(Table.Length + 1), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly day)
                && day < oldestKept)
            {
                using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {partition}", connection);
                drop.ExecuteNonQuery();
                dropped.Add(partition);
            }
        }

        return dropped;
    }
}
