using System.Text;
using CasbCore.Model;
using Npgsql;

namespace CasbCore.Store.Postgres;

/// <summary>
/// The configuration store in a PostgreSQL database, for several gateways on several hosts: the document (with its
/// schema version and revision) in <c>casb.configuration</c>, the secrets and shared blobs in <c>casb.blobs</c>.
/// Writers are optimistic: a change is made on the revision read and committed only if the row still holds that
/// revision and document, else it is made again on the newer one (and after <see cref="MaxAttempts"/> a StoreConflict).
/// Each commit announces the new revision with NOTIFY in the same transaction, so a listener hears it only once it
/// is visible. The document is stored as written, so a corrupt or unknown-schema one is refused by the same parser as
/// a store file's, and never overwritten.
/// </summary>
public sealed class PostgresStore : IConfigurationStore, IDisposable
{
    /// <summary>How many times an update is made again on a newer revision before it gives up with StoreConflict.</summary>
    public const int MaxAttempts = 20;

    /// <summary>Overrides <see cref="LocalDirectory"/> (systemd's StateDirectory sets STATE_DIRECTORY, which is used otherwise).</summary>
    public const string LocalDirectoryVariable = "CASB_STATE_DIRECTORY";

    private readonly NpgsqlDataSource _dataSource;
    private readonly Lazy<bool> _migrated;

    public PostgresStore(PostgresStoreUri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        Uri = uri;
        _dataSource = NpgsqlDataSource.Create(uri.Settings);
        // Retried on the next use after a failure (the database may come up later), done once after a success.
        _migrated = new Lazy<bool>(() =>
        {
            using NpgsqlConnection connection = OpenRaw();
            PostgresSchema.Migrate(connection, Location);
            return true;
        }, LazyThreadSafetyMode.PublicationOnly);
    }

    public PostgresStoreUri Uri { get; }

    public string Location => Uri.Location;

    public string DocumentName => Location;

    public string LocalDirectory => LocalDirectoryFor(Uri);

    /// <summary>This host's folder for the store at <paramref name="uri"/>: $CASB_STATE_DIRECTORY, else $STATE_DIRECTORY, else under ~/.casb/postgresql/.</summary>
    public static string LocalDirectoryFor(PostgresStoreUri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        string? configured = Environment.GetEnvironmentVariable(LocalDirectoryVariable);
        if (string.IsNullOrWhiteSpace(configured))
        {
            configured = Environment.GetEnvironmentVariable("STATE_DIRECTORY")?.Split(':')[0];
        }

        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        string name = $"{uri.Host}-{uri.Port}-{uri.Database}";
        name = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        return Path.Combine(CasbStore.DefaultPath(), "postgresql", name);
    }

    public string ActivityDirectory => Path.Combine(LocalDirectory, "activity");

    public byte[]? ReadDocument() => Run(connection => ReadRow(connection, null)?.Document is { } text ? Encoding.UTF8.GetBytes(text) : null, retry: true);

    // Hashed in the database: a poll of an unchanged document moves 64 characters, not the document. convert_to gives
    // the same UTF-8 bytes ReadDocument makes of the text.
    public string? DocumentHash() => Run(connection =>
    {
        using var command = new NpgsqlCommand(
            "select encode(sha256(convert_to(document, 'UTF8')), 'hex') from casb.configuration where id = 1", connection);
        return command.ExecuteScalar() as string;
    }, retry: true);

    public CasbConfiguration Load() =>
        ReadDocument() is { } bytes ? CasbStore.Parse(bytes, Location) : new CasbConfiguration();

    public long Write(CasbConfiguration configuration, long expectedRevision)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Run(connection =>
        {
            using NpgsqlTransaction transaction = connection.BeginTransaction();
            Row? row = ReadRow(connection, transaction, forUpdate: true);
            // A corrupt or unknown-schema document throws here and stays as it is. The revision compared is the
            // document's, the one admins and gateways see; the row lock keeps it from changing until the commit.
            long current = row is null ? 0 : CasbStore.Parse(Encoding.UTF8.GetBytes(row.Document), Location).Revision;
            if (current != expectedRevision)
            {
                throw CasbStore.Conflict(Location, expectedRevision, current);
            }

            configuration.SchemaVersion = CasbConfiguration.CurrentSchemaVersion;
            configuration.Revision = expectedRevision + 1;
            configuration.ModifiedAt = DateTimeOffset.UtcNow;
            if (!SaveDocument(connection, transaction, row, configuration))
            {
                throw CasbStore.Conflict(Location, expectedRevision, current);
            }

            transaction.Commit();
            return configuration.Revision;
        });
    }

    public T Update<T>(Func<CasbConfiguration, T> mutate)
    {
        ArgumentNullException.ThrowIfNull(mutate);
        return Update<T>((configuration, _) => mutate(configuration), withSecrets: false);
    }

    public T Update<T>(Func<CasbConfiguration, StoreSecrets, T> mutate)
    {
        ArgumentNullException.ThrowIfNull(mutate);
        return Update(mutate, withSecrets: true);
    }

    public StoreSecrets LoadSecrets() => StoreSecrets.FromBytes(ReadBlob(StoreSecrets.FileName), $"{Location} ({StoreSecrets.FileName})");

    public byte[]? ReadBlob(string name)
    {
        StoreBlobNames.Check(name);
        return Run(connection => ReadBlob(connection, null, name), retry: true);
    }

    public void WriteBlob(string name, ReadOnlySpan<byte> content)
    {
        StoreBlobNames.Check(name);
        byte[] bytes = content.ToArray();
        Run(connection =>
        {
            using NpgsqlTransaction transaction = connection.BeginTransaction();
            UpsertBlob(connection, transaction, name, bytes);
            NotifyBlobChanged(connection, transaction, name);
            transaction.Commit();
            return 0;
        });
    }

    public bool TryAddBlob(string name, ReadOnlySpan<byte> content)
    {
        StoreBlobNames.Check(name);
        byte[] bytes = content.ToArray();
        return Run(connection => ChangeBlob(connection, name, "insert into casb.blobs (name, content) values ($1, $2) on conflict (name) do nothing", bytes));
    }

    public bool TryReplaceBlob(string name, ReadOnlySpan<byte> expected, ReadOnlySpan<byte> content)
    {
        StoreBlobNames.Check(name);
        byte[] bytes = content.ToArray();
        byte[] before = expected.ToArray();
        // The row's own check: of two gateways replacing the same content, one update matches it and the other none.
        return Run(connection => ChangeBlob(connection, name, "update casb.blobs set content = $2, modified_at = now() where name = $1 and content = $3", bytes, before));
    }

    public long Replace(CasbConfiguration configuration, long expectedRevision, IReadOnlyDictionary<string, byte[]> blobs)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(blobs);
        foreach (string name in blobs.Keys)
        {
            StoreBlobNames.Check(name);
        }

        return Run(connection =>
        {
            using NpgsqlTransaction transaction = connection.BeginTransaction();
            // No gateway adds a key or a claim between the delete and the commit: the target ends exactly as the copy.
            using (var lockBlobs = new NpgsqlCommand("lock table casb.blobs in exclusive mode", connection, transaction))
            {
                lockBlobs.ExecuteNonQuery();
            }

            Row? row = ReadRow(connection, transaction, forUpdate: true);
            long current = row is null ? 0 : CasbStore.Parse(Encoding.UTF8.GetBytes(row.Document), Location).Revision;
            if (current != expectedRevision)
            {
                throw CasbStore.Conflict(Location, expectedRevision, current);
            }

            using (var delete = new NpgsqlCommand("delete from casb.blobs where not (name = any($1))", connection, transaction))
            {
                delete.Parameters.Add(new NpgsqlParameter { Value = blobs.Keys.ToArray() });
                delete.ExecuteNonQuery();
            }

            foreach ((string name, byte[] content) in blobs)
            {
                UpsertBlob(connection, transaction, name, content);
            }

            configuration.SchemaVersion = CasbConfiguration.CurrentSchemaVersion;
            configuration.Revision = expectedRevision + 1;
            configuration.ModifiedAt = DateTimeOffset.UtcNow;
            if (!SaveDocument(connection, transaction, row, configuration))
            {
                throw CasbStore.Conflict(Location, expectedRevision, current);
            }

            transaction.Commit();
            return configuration.Revision;
        });
    }

    public IReadOnlyList<string> ListBlobs(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Run(connection =>
        {
            using var command = new NpgsqlCommand("select name from casb.blobs where starts_with(name, $1) order by name collate \"C\"", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = prefix });
            var names = new List<string>();
            using NpgsqlDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                names.Add(reader.GetString(0));
            }

            return (IReadOnlyList<string>)names;
        }, retry: true);
    }

    public IDisposable WatchChanges(Action changed, Action<string> failed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        ArgumentNullException.ThrowIfNull(failed);
        var stop = new CancellationTokenSource();
        Task listening = Task.Run(() => ListenAsync(changed, failed, stop.Token));
        return new Listener(stop, listening);
    }

    public void Dispose() => _dataSource.Dispose();

    private T Update<T>(Func<CasbConfiguration, StoreSecrets, T> mutate, bool withSecrets)
    {
        for (int attempt = 1; ; attempt++)
        {
            (bool committed, T result, long seen) = Run(connection => TryUpdate(connection, mutate, withSecrets));
            if (committed)
            {
                return result;
            }

            if (attempt == MaxAttempts)
            {
                throw new CasbException(
                    "StoreConflict", CasbErrorKind.ResourceBusy,
                    $"The store '{Location}' changed under this change {MaxAttempts} times in a row (now at revision {seen}). Nothing was written; run the command again.",
                    Location);
            }

            // Another writer committed first: make the change again on its revision, after a short random pause.
            Thread.Sleep(Random.Shared.Next(5, 20 * Math.Min(attempt, 5)));
        }
    }

    private (bool Committed, T Result, long Seen) TryUpdate<T>(NpgsqlConnection connection, Func<CasbConfiguration, StoreSecrets, T> mutate, bool withSecrets)
    {
        Row? read = ReadRow(connection, null);
        CasbConfiguration configuration = read is null ? new CasbConfiguration() : CasbStore.Parse(Encoding.UTF8.GetBytes(read.Document), Location);
        byte[]? secretsBefore = withSecrets ? ReadBlob(connection, null, StoreSecrets.FileName) : null;
        StoreSecrets secrets = StoreSecrets.FromBytes(secretsBefore, $"{Location} ({StoreSecrets.FileName})");

        long baseRevision = configuration.Revision;
        byte[] before = CasbStore.Serialize(configuration);
        T result = mutate(configuration, secrets);
        configuration.SchemaVersion = CasbConfiguration.CurrentSchemaVersion; // an older document is upgraded when it is written
        bool changed = !before.AsSpan().SequenceEqual(CasbStore.Serialize(configuration));
        if (withSecrets)
        {
            secrets.Prune(CasbStore.SecretReferences(configuration));
        }

        bool secretsChanged = withSecrets && secrets.Changed;
        if (!changed && !secretsChanged)
        {
            return (true, result, baseRevision);
        }

        using NpgsqlTransaction transaction = connection.BeginTransaction();
        Row? now = ReadRow(connection, transaction, forUpdate: true);
        if (now?.Revision != read?.Revision || now?.Document != read?.Document)
        {
            return (false, default!, now?.Revision ?? 0); // someone committed since the read: made again on theirs
        }

        if (secretsChanged)
        {
            // In the configuration's transaction: a reference never exists without its secret, nor a secret after its last reference.
            UpsertBlob(connection, transaction, StoreSecrets.FileName, secrets.ToBytes());
        }

        if (changed)
        {
            configuration.Revision = baseRevision + 1;
            configuration.ModifiedAt = DateTimeOffset.UtcNow;
            if (!SaveDocument(connection, transaction, read, configuration))
            {
                return (false, default!, baseRevision);
            }
        }

        transaction.Commit();
        secrets.MarkSaved();
        return (true, result, configuration.Revision);
    }

    // Inserts the first document, or replaces the one read (the caller holds its row lock); announces the revision.
    private static bool SaveDocument(NpgsqlConnection connection, NpgsqlTransaction transaction, Row? previous, CasbConfiguration configuration)
    {
        string document = Encoding.UTF8.GetString(CasbStore.Serialize(configuration));
        using var command = new NpgsqlCommand(
            previous is null
                ? "insert into casb.configuration (id, revision, schema_version, document) values (1, $1, $2, $3) on conflict (id) do nothing"
                : "update casb.configuration set revision = $1, schema_version = $2, document = $3, modified_at = now() where id = 1 and revision = $4",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = configuration.Revision });
        command.Parameters.Add(new NpgsqlParameter { Value = configuration.SchemaVersion });
        command.Parameters.Add(new NpgsqlParameter { Value = document });
        if (previous is not null)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = previous.Revision });
        }

        if (command.ExecuteNonQuery() != 1)
        {
            return false;
        }

        using var notify = new NpgsqlCommand($"select pg_notify('{PostgresSchema.Channel}', $1)", connection, transaction);
        notify.Parameters.Add(new NpgsqlParameter { Value = configuration.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        notify.ExecuteNonQuery();
        return true;
    }

    private static Row? ReadRow(NpgsqlConnection connection, NpgsqlTransaction? transaction, bool forUpdate = false)
    {
        using var command = new NpgsqlCommand(
            "select revision, document from casb.configuration where id = 1" + (forUpdate ? " for update" : ""), connection, transaction);
        using NpgsqlDataReader reader = command.ExecuteReader();
        return reader.Read() ? new Row(reader.GetInt64(0), reader.GetString(1)) : null;
    }

    private static byte[]? ReadBlob(NpgsqlConnection connection, NpgsqlTransaction? transaction, string name)
    {
        using var command = new NpgsqlCommand("select content from casb.blobs where name = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return command.ExecuteScalar() as byte[];
    }

    private static int UpsertBlob(NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, byte[] content)
    {
        using var command = new NpgsqlCommand(
            "insert into casb.blobs (name, content) values ($1, $2) on conflict (name) do update set content = excluded.content, modified_at = now()",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = content });
        return command.ExecuteNonQuery();
    }

    // One statement that may change a blob, and the announcement of the change when it did, in one transaction.
    private static bool ChangeBlob(NpgsqlConnection connection, string name, string sql, byte[] content, byte[]? expected = null)
    {
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = content });
        if (expected is not null)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = expected });
        }

        if (command.ExecuteNonQuery() != 1)
        {
            return false;
        }

        NotifyBlobChanged(connection, transaction, name);
        transaction.Commit();
        return true;
    }

    // Gateways follow shared blobs (the server certificate) on the configuration's channel: a hint to look again, heard
    // only once the change is committed. Listeners read the payload as nothing more than "something changed".
    private static void NotifyBlobChanged(NpgsqlConnection connection, NpgsqlTransaction transaction, string name)
    {
        using var notify = new NpgsqlCommand($"select pg_notify('{PostgresSchema.Channel}', $1)", connection, transaction);
        notify.Parameters.Add(new NpgsqlParameter { Value = "blob " + name });
        notify.ExecuteNonQuery();
    }

    private async Task ListenAsync(Action changed, Action<string> failed, CancellationToken stop)
    {
        int delay = 250;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                EnsureMigrated();
                await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(stop);
                connection.Notification += (_, _) => changed();
                await using (var listen = new NpgsqlCommand($"listen {PostgresSchema.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stop);
                }

                delay = 250;
                changed(); // a revision committed while no one listened (the start, a reconnect) is picked up now
                while (true)
                {
                    // A quiet connection is checked now and then, so that a dead one is noticed and replaced.
                    if (!await connection.WaitAsync(TimeSpan.FromSeconds(15), stop))
                    {
                        await using var ping = new NpgsqlCommand("select 1", connection);
                        await ping.ExecuteScalarAsync(stop);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or CasbException or IOException or TimeoutException or InvalidOperationException)
            {
                _dataSource.Clear(); // the pool's other connections died with this one: the check failed() may start needs a new one
                failed($"listening for changes on '{Location}' failed: {ex.Message}");
                try
                {
                    await Task.Delay(delay, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = Math.Min(delay * 2, 5000);
            }
        }
    }

    private void EnsureMigrated()
    {
        try
        {
            _ = _migrated.Value;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
        {
            throw Unavailable(ex);
        }
    }

    private NpgsqlConnection OpenRaw()
    {
        try
        {
            return _dataSource.OpenConnection();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
        {
            throw Unavailable(ex);
        }
    }

    private T Run<T>(Func<NpgsqlConnection, T> work, bool retry = false)
    {
        EnsureMigrated();
        try
        {
            using NpgsqlConnection connection = OpenRaw();
            return work(connection);
        }
        catch (NpgsqlException ex) when (ex.IsTransient || ex.InnerException is IOException)
        {
            // After a restart of the server every idle connection of the pool is dead: drop them all, so that the
            // next command connects anew. A read is tried once more at once; a write is not (it may have committed).
            _dataSource.Clear();
            if (retry)
            {
                return Run(work, retry: false);
            }

            throw Unavailable(ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
        {
            throw Unavailable(ex);
        }
    }

    private CasbException Unavailable(Exception ex) => Failure(Location, ex);

    /// <summary>The store's error for a failure of the database at <paramref name="location"/> (also the activity table's, read by Get-CasbActivity).</summary>
    internal static CasbException Failure(string location, Exception ex)
    {
        // Npgsql reports a missing password as "No password has been provided…"; the server a wrong one as 28P01.
        // A PGPASSFILE that names no file fails in Npgsql with FileNotFoundException (libpq ignores it): the same mistake.
        bool authentication = ex is PostgresException { SqlState: "28P01" or "28000" }
            || ex.Message.Contains("password", StringComparison.OrdinalIgnoreCase)
            || (ex is FileNotFoundException missing && missing.FileName is { } file
                && string.Equals(file, Environment.GetEnvironmentVariable("PGPASSFILE"), StringComparison.Ordinal));
        if (authentication)
        {
            return new CasbException(
                "StoreAuthenticationFailed", CasbErrorKind.AuthenticationError,
                $"Cannot sign in to the store '{location}': {ex.Message} Set PGPASSWORD, or put the password in the passfile (PGPASSFILE, else ~/.pgpass).",
                location, ex);
        }

        // The server answered and refused: the admin has something to fix on the server, and retrying will not help.
        // Only a server that is away (no answer, a restart, too many connections) is StoreUnavailable.
        return ex switch
        {
            PostgresException { SqlState: "42501" } => new CasbException(
                "StorePermissionDenied", CasbErrorKind.PermissionDenied,
                $"The store '{location}' refused its database user: {ex.Message} The user needs CREATE on the database the first time (for the schema casb), then USAGE on the schema and SELECT, INSERT, UPDATE and DELETE on its tables (docs/store.md).",
                location, ex),
            PostgresException { SqlState: "25006" } => new CasbException(
                "StoreReadOnly", CasbErrorKind.WriteError,
                $"The store '{location}' is read-only: {ex.Message} Point the store at the primary server, not at a standby (or a database with default_transaction_read_only on).",
                location, ex),
            PostgresException { SqlState: var state } when !state.StartsWith("08", StringComparison.Ordinal)
                && !state.StartsWith("53", StringComparison.Ordinal) && !state.StartsWith("57", StringComparison.Ordinal) => new CasbException(
                "StoreError", CasbErrorKind.InvalidOperation,
                $"The store '{location}' refused the operation ({state}): {ex.Message} Nothing was changed.",
                location, ex),
            _ => new CasbException(
                "StoreUnavailable", CasbErrorKind.ConnectionError, $"Cannot reach the store '{location}': {ex.Message}", location, ex),
        };
    }

    private sealed record Row(long Revision, string Document);

    private sealed class Listener(CancellationTokenSource stop, Task listening) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            stop.Cancel();
            try
            {
                listening.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // The listener ends by cancellation; nothing else to report at shutdown.
            }

            stop.Dispose();
        }
    }
}
