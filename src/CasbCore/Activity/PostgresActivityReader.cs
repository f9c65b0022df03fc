using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace CasbCore.Activity;

/// <summary>
/// Reads the activity of every replica from the PostgreSQL table, newest first, with the query's filters in the SQL
/// WHERE: the time range prunes day partitions, a correlation id uses its index, and app, user and device wildcards
/// become ILIKE patterns under the C collation, which folds the case of A-Z as the engine's filters do and of nothing
/// else (a server's locale may fold more, or fold I to a dotless i). A wildcard SQL cannot say that way ([a-z], escapes,
/// a letter beyond ASCII, whose case only .NET folds here) is checked on each row only, as every record is with
/// <see cref="ActivityQuery.Matches"/>.
/// </summary>
public sealed class PostgresActivityReader : IActivityReader
{
    private readonly string _connectionString;

    /// <param name="uriOrConnectionString">A <c>postgresql://</c> URI or an Npgsql connection string.</param>
    public PostgresActivityReader(string uriOrConnectionString) => _connectionString = PostgresActivity.ConnectionString(uriOrConnectionString);

    public IEnumerable<ActivityRecord> Read(ActivityQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        using NpgsqlConnection connection = Open();
        using var command = new NpgsqlCommand { Connection = connection };
        var where = new List<string>();
        bool exact = true;
        if (query.From is { } from)
        {
            where.Add("time >= @from");
            command.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.TimestampTz) { Value = Microsecond(from, up: false) });
        }

        if (query.Until is { } until)
        {
            where.Add("time < @until");
            command.Parameters.Add(new NpgsqlParameter("until", NpgsqlDbType.TimestampTz) { Value = Microsecond(until, up: true) });
            command.Parameters.Add(new NpgsqlParameter("untilfloor", NpgsqlDbType.TimestampTz) { Value = Microsecond(until, up: false) });
        }

        if (query.CorrelationId is { } id)
        {
            where.Add("correlation_id = @id");
            command.Parameters.AddWithValue("id", PostgresActivity.Column(id.ToLowerInvariant())!);
        }

        if (query.Actions is { } actions)
        {
            where.Add("action = ANY(@actions)");
            command.Parameters.AddWithValue("actions", actions.ToArray());
        }

        if (query.Kinds is { } kinds)
        {
            where.Add("kind = ANY(@kinds)");
            command.Parameters.AddWithValue("kinds", kinds.Select(k => k.ToString()).ToArray());
        }

        // The record's own Kind is checked on each row (it is not a column).
        exact &= query.RecordKinds is null;
        exact &= Pattern(query.App, "coalesce(app, '')", "app", where, command);
        exact &= query.User is null || Pattern(query.User, UserColumn(connection, command), "user", where, command);
        if (query.Device is { } device)
        {
            // Thumbprint or subject: both columns, one pattern.
            if (Like(device.Pattern) is { } like)
            {
                where.Add($"({Folded("coalesce(device, '')", device)} ILIKE @device COLLATE \"C\" OR {Folded("device_subject", device)} ILIKE @device COLLATE \"C\")");
                command.Parameters.AddWithValue("device", like);
                exact &= IsExact(device.Pattern);
            }
            else
            {
                exact = false;
            }
        }

        // A limit only when the database decides every filter; otherwise rows are checked here and reading stops at First.
        // WITH TIES: the column keeps microseconds, a record 100 ns ticks, so the rows of the last microsecond are all read
        // and put in the order of their own time here (replicas write within one microsecond of each other).
        // An upper bound inside a microsecond (-Before the Time of a record, paging) lets that microsecond's later records
        // through, first in the order and not counted as found: the limit reads that many more.
        string count = query.Until is { } u && u.UtcTicks % 10 != 0 ? $" + (SELECT count(*) FROM {PostgresActivity.Table} WHERE time = @untilfloor)" : "";
        string limit = query.First > 0 && exact ? $" FETCH FIRST ({query.First}{count}) ROWS WITH TIES" : "";
        command.CommandText = $"SELECT record, time FROM {PostgresActivity.Table}"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + " ORDER BY time DESC" + limit;

        int returned = 0;
        var tied = new List<ActivityRecord>();
        DateTime microsecond = default;
        using NpgsqlDataReader reader = command.ExecuteReader();
        while (true)
        {
            bool more = reader.Read();
            DateTime time = more ? reader.GetDateTime(1) : default;
            if (!more || (tied.Count > 0 && time != microsecond))
            {
                // OrderBy is stable: records of the very same tick keep the table's order.
                foreach (ActivityRecord newest in tied.OrderByDescending(r => r.Time))
                {
                    yield return newest;
                    if (query.First > 0 && ++returned >= query.First)
                    {
                        yield break;
                    }
                }

                tied.Clear();
            }

            if (!more)
            {
                yield break;
            }

            microsecond = time;
            ActivityRecord? record = JsonSerializer.Deserialize<ActivityRecord>(reader.GetString(0), ActivityLog.SerializerOptions);
            if (record is not null && query.Matches(record))
            {
                tied.Add(record);
            }
        }
    }

    /// <summary>
    /// A bound in the column's microseconds, widened (the lower bound down, the upper up) so that SQL never drops a record
    /// its 100 ns time puts inside the range: <see cref="ActivityQuery.Matches"/> decides the ticks on each row.
    /// </summary>
    private static DateTime Microsecond(DateTimeOffset bound, bool up)
    {
        long ticks = bound.UtcTicks - (bound.UtcTicks % 10);
        return new DateTime(up && ticks != bound.UtcTicks ? ticks + 10 : ticks, DateTimeKind.Utc);
    }

    // A pooled connection the server closed while it sat in the pool (a restart, a failover) fails its first command:
    // the pool is cleared and the query goes to a new connection, so Get-CasbActivity does not fail once after an outage.
    private NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            connection.Open();
            PostgresActivity.EnsureSchema(connection);
            return connection;
        }
        catch (NpgsqlException ex) when (ex.IsTransient || connection.FullState.HasFlag(System.Data.ConnectionState.Broken)
            || ex is PostgresException { SqlState: "57P01" or "57P02" or "57P03" })
        {
            NpgsqlConnection.ClearPool(connection);
            connection.Dispose();
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        var fresh = new NpgsqlConnection(_connectionString);
        try
        {
            fresh.Open();
            PostgresActivity.EnsureSchema(fresh);
            return fresh;
        }
        catch
        {
            fresh.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The user column in canonical form (<see cref="SignIn.UserNames.Canonical"/>: trimmed, width-mapped, NFC), as the
    /// engine matches it, so that a row written before names were canonical (or by another writer) in NFD or fullwidth
    /// letters is found by -User as it is in a log folder, and LIMIT stays exact. PostgreSQL's normalize() (13 and later, a
    /// UTF8 database) does the NFC; a name of ASCII only (nearly every row) is only trimmed. On an older server or another
    /// encoding the column is compared as it is: only rows written in canonical form are found there.
    /// </summary>
    private static string UserColumn(NpgsqlConnection connection, NpgsqlCommand command)
    {
        const string Column = "coalesce(user_name, '')";
        if (connection.PostgreSqlVersion.Major < 13
            || !connection.PostgresParameters.TryGetValue("server_encoding", out string? encoding) || encoding != "UTF8")
        {
            return Column;
        }

        command.Parameters.AddWithValue("user_space", UserSpace);
        command.Parameters.AddWithValue("user_wide", UserWidth.Wide);
        command.Parameters.AddWithValue("user_narrow", UserWidth.Narrow);
        return $"(CASE WHEN octet_length({Column}) = length({Column}) THEN btrim({Column}, @user_space) "
            + $"ELSE btrim(normalize(translate(btrim({Column}, @user_space), @user_wide, @user_narrow), NFC), @user_space) END)";
    }

    // What string.Trim() takes off: every char.IsWhiteSpace.
    private static readonly string UserSpace = new(Enumerable.Range(0, 0x10000).Select(c => (char)c).Where(char.IsWhiteSpace).ToArray());

    // The width mapping (fullwidth and halfwidth forms to their normal forms), character for character, from the engine's
    // own data: what NameNormalization.Normalize maps and ToFormC does not.
    private static readonly (string Wide, string Narrow) UserWidth = WidthMapping();

    private static (string Wide, string Narrow) WidthMapping()
    {
        var wide = new StringBuilder();
        var narrow = new StringBuilder();
        for (int c = 0x80; c < 0x10000; c++)
        {
            if (char.IsSurrogate((char)c))
            {
                continue;
            }

            string one = ((char)c).ToString();
            string mapped = SignIn.NameNormalization.Normalize(one);
            if (mapped.Length == 1 && mapped != SignIn.NameNormalization.ToFormC(one))
            {
                wide.Append((char)c);
                narrow.Append(mapped);
            }
        }

        return (wide.ToString(), narrow.ToString());
    }

    // True when SQL decides the pattern exactly.
    private static bool Pattern(ActivityPattern? pattern, string column, string name, List<string> where, NpgsqlCommand command)
    {
        if (pattern is null)
        {
            return true;
        }

        if (Like(pattern.Pattern) is not { } like)
        {
            return false;
        }

        where.Add($"{Folded(column, pattern)} ILIKE @{name} COLLATE \"C\"");
        command.Parameters.AddWithValue(name, like);
        return IsExact(pattern.Pattern);
    }

    /// <summary>
    /// The column as the engine compares it with <paramref name="pattern"/>: a wildcard's matching folds the Kelvin sign
    /// (U+212A) to k, the one character beyond ASCII it folds to an ASCII letter (every BMP character checked:
    /// PostgresActivityTests), which ILIKE under C does not; an exact value is compared ordinally ignoring case, which
    /// folds none.
    /// </summary>
    private static string Folded(string column, ActivityPattern pattern) =>
        pattern.IsLiteral ? column : $"translate({column}, U&'\\212A', 'k')";

    /// <summary>True when the ILIKE pattern of <paramref name="wildcard"/> matches exactly what it does (no ?: see <see cref="Like"/>).</summary>
    internal static bool IsExact(string wildcard) => !wildcard.Contains('?');

    /// <summary>
    /// The ILIKE pattern (under COLLATE "C") of a wildcard of * and ? and ASCII; null for one with [..], backtick escapes
    /// or a character beyond ASCII (É matches é in the engine, not in ILIKE under C). ILIKE's _ is one code point where
    /// the engine's ? is one UTF-16 unit, so a run of ? narrows to what it may be (never fewer records than the engine
    /// keeps) and a pattern with ? is not exact (<see cref="IsExact"/>).
    /// </summary>
    internal static string? Like(string wildcard)
    {
        // NUL: no text parameter holds it, and a column holds it as U+FFFD (PostgresActivity.Column).
        if (wildcard.AsSpan().IndexOfAny("[`\0") >= 0 || !System.Text.Ascii.IsValid(wildcard))
        {
            return null;
        }

        var like = new StringBuilder(wildcard.Length + 4);
        for (int i = 0; i < wildcard.Length; i++)
        {
            char c = wildcard[i];
            if (c is '?' or '*')
            {
                // A run of ? and * between two literals (ASCII) or the ends matches whole characters: its n ? are n UTF-16
                // units, which hold n code points or as few as n/2 (a character beyond the BMP is two units, one code point
                // to ILIKE's _), and a * between two ? may match nothing ("?*?" is one such character). So at least
                // ceil(n/2) code points, any more when n > 1 or with a *: the database never leaves out a record the
                // engine's check would keep.
                int units = 0;
                bool star = false;
                for (; i < wildcard.Length && wildcard[i] is '?' or '*'; i++)
                {
                    units += wildcard[i] == '?' ? 1 : 0;
                    star |= wildcard[i] == '*';
                }

                i--;
                like.Append('_', (units + 1) / 2).Append(star || units > 1 ? "%" : "");
                continue;
            }

            like.Append(c switch
            {
                '%' => @"\%",
                '_' => @"\_",
                '\\' => @"\\",
                _ => c.ToString(),
            });
        }

        return like.ToString();
    }
}
