using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace CasbCore.Activity;

/// <summary>
/// Writes activity to PostgreSQL in batches with binary COPY (one COPY per batch, in one transaction: all of the batch
/// or none of it, so the pump's retry never writes a record twice). The day partitions a batch needs are created first.
/// While the database is down the pump keeps the batch and the queue; the connection is opened again on the next try.
/// </summary>
public sealed class PostgresActivitySink : IActivitySink
{
    private const string Copy =
        $"COPY {PostgresActivity.Table} (time, correlation_id, gateway, app, user_name, device, device_subject, action, kind, record) FROM STDIN (FORMAT BINARY)";

    private readonly string _connectionString;
    private readonly HashSet<DateOnly> _partitions = new();
    private NpgsqlConnection? _connection;

    /// <param name="uriOrConnectionString">A <c>postgresql://</c> URI or an Npgsql connection string.</param>
    public PostgresActivitySink(string uriOrConnectionString) => _connectionString = PostgresActivity.ConnectionString(uriOrConnectionString);

    public string Name => "postgresql";

    /// <summary>At start: connects and creates the table (idempotent); throws what a write would meet.</summary>
    public void EnsureWritable()
    {
        Connection();
    }

    public void WriteBatch(List<ActivityRecord> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            NpgsqlConnection connection = Connection();
            foreach (ActivityRecord record in batch)
            {
                DateOnly day = DateOnly.FromDateTime(record.Time.UtcDateTime);
                if (_partitions.Add(day))
                {
                    using var partition = new NpgsqlCommand(PostgresActivity.PartitionSql(day), connection);
                    partition.ExecuteNonQuery();
                }
            }

            using NpgsqlTransaction transaction = connection.BeginTransaction();
            using (NpgsqlBinaryImporter import = connection.BeginBinaryImport(Copy))
            {
                foreach (ActivityRecord record in batch)
                {
                    import.StartRow();
                    import.Write(record.Time.UtcDateTime, NpgsqlDbType.TimestampTz);
                    import.Write(record.CorrelationId.ToLowerInvariant(), NpgsqlDbType.Text);
                    WriteText(import, record.Gateway);
                    WriteText(import, record.App);
                    WriteText(import, record.User);
                    WriteText(import, record.CertificateThumbprint);
                    WriteText(import, record.CertificateSubject);
                    import.Write(record.Action, NpgsqlDbType.Text);
                    import.Write(ActivityQuery.KindOf(record).ToString(), NpgsqlDbType.Text);
                    import.Write(JsonSerializer.Serialize(record, ActivityJsonContext.Default.ActivityRecord), NpgsqlDbType.Json);
                }

                import.Complete();
            }

            transaction.Commit();
            batch.Clear();
        }
        catch
        {
            // A broken connection is opened again on the next try; partitions may have gone with a restored database.
            _partitions.Clear();
            _connection?.Dispose();
            _connection = null;
            throw;
        }
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _connection = null;
    }

    private static void WriteText(NpgsqlBinaryImporter import, string? value)
    {
        if (value is null)
        {
            import.WriteNull();
        }
        else
        {
            import.Write(value, NpgsqlDbType.Text);
        }
    }

    private NpgsqlConnection Connection()
    {
        if (_connection is { State: System.Data.ConnectionState.Open })
        {
            return _connection;
        }

        _connection?.Dispose();
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            connection.Open();
            PostgresActivity.EnsureSchema(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        _connection = connection;
        return connection;
    }
}
