using System.Buffers;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace CasbCore.Activity;

/// <summary>
/// Writes activity to PostgreSQL in batches with binary COPY (one COPY per batch, in one transaction: all of the batch
/// or none of it). The day partitions a batch needs are created first. While the database is down the pump keeps the
/// batch and the queue; the connection is opened again on the next try. A batch whose COMMIT was sent but not answered
/// (the connection cut, the server stopping) may have been kept: its retry first asks the table, so that the pump's
/// retry never writes a record twice. As the file sink does, each record is serialized into one reused UTF-8 buffer and
/// handed to COPY as bytes: nothing is allocated per record.
/// </summary>
public sealed class PostgresActivitySink : IActivitySink
{
    private const string Copy =
        $"COPY {PostgresActivity.Table} (time, correlation_id, gateway, app, user_name, device, device_subject, action, kind, record) FROM STDIN (FORMAT BINARY)";

    private readonly string _connectionString;
    private readonly HashSet<DateOnly> _partitions = new();
    private readonly ArrayBufferWriter<byte> _json = new(4096);
    private readonly Utf8JsonWriter _writer;
    private NpgsqlConnection? _connection;

    // The first record of a batch whose commit outcome is unknown (the batch is whole or absent: one record tells).
    private ActivityRecord? _unconfirmed;

    /// <param name="uriOrConnectionString">A <c>postgresql://</c> URI or an Npgsql connection string.</param>
    public PostgresActivitySink(string uriOrConnectionString)
    {
        _connectionString = PostgresActivity.ConnectionString(uriOrConnectionString);
        _writer = new Utf8JsonWriter(_json);
    }

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
            if (_unconfirmed is { } unconfirmed)
            {
                if (ReferenceEquals(batch[0], unconfirmed) && Kept(connection, unconfirmed))
                {
                    _unconfirmed = null;
                    batch.Clear();
                    return;
                }

                _unconfirmed = null;
            }

            foreach (ActivityRecord record in batch)
            {
                DateOnly day = DateOnly.FromDateTime(record.Time.UtcDateTime);
                if (_partitions.Add(day))
                {
                    PostgresActivity.EnsurePartition(connection, day);
                }
            }

            using NpgsqlTransaction transaction = connection.BeginTransaction();
            using (NpgsqlBinaryImporter import = connection.BeginBinaryImport(Copy))
            {
                foreach (ActivityRecord record in batch)
                {
                    import.StartRow();
                    import.Write(record.Time.UtcDateTime, NpgsqlDbType.TimestampTz);
                    WriteText(import, record.CorrelationId.ToLowerInvariant());
                    WriteText(import, record.Gateway);
                    WriteText(import, record.App);
                    WriteText(import, record.User);
                    WriteText(import, record.CertificateThumbprint);
                    WriteText(import, record.CertificateSubject);
                    WriteText(import, record.Action);
                    import.Write(ActivityQuery.KindOf(record).ToString(), NpgsqlDbType.Text);
                    _json.ResetWrittenCount();
                    _writer.Reset(_json);
                    JsonSerializer.Serialize(_writer, record, ActivityJsonContext.Default.ActivityRecord);
                    _writer.Flush();
                    import.Write(_json.WrittenMemory, NpgsqlDbType.Json);
                }

                import.Complete();
            }

            _unconfirmed = batch[0];
            transaction.Commit();
            _unconfirmed = null;
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
        _writer.Dispose();
    }

    private static bool Kept(NpgsqlConnection connection, ActivityRecord record)
    {
        using var command = new NpgsqlCommand(
            $"SELECT EXISTS (SELECT 1 FROM {PostgresActivity.Table} WHERE correlation_id = $1 AND time = $2 AND kind = $3 AND gateway IS NOT DISTINCT FROM $4)",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = PostgresActivity.Column(record.CorrelationId.ToLowerInvariant()), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Time.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = ActivityQuery.KindOf(record).ToString(), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)PostgresActivity.Column(record.Gateway) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return (bool)command.ExecuteScalar()!;
    }

    private static void WriteText(NpgsqlBinaryImporter import, string? value)
    {
        if (value is null)
        {
            import.WriteNull();
        }
        else
        {
            import.Write(PostgresActivity.Column(value)!, NpgsqlDbType.Text);
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
