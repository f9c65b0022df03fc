using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CasbCore.Activity;

/// <summary>
/// The layout of the activity log: JSON lines in daily (UTC) files under &lt;store&gt;/activity, named
/// <c>activity-YYYYMMDD.jsonl</c> for the gateway named "default" and <c>activity-YYYYMMDD.&lt;name&gt;.jsonl</c>
/// for any other (letters, digits, '.' and '-' kept, any other character written as '_' and four hex digits), so two
/// gateways sharing a store never write one file.
/// </summary>
public static class ActivityLog
{
    public const string DefaultGatewayName = "default";
    private const string Prefix = "activity-";
    private const string Extension = ".jsonl";

    public static JsonSerializerOptions SerializerOptions { get; } = CreateSerializerOptions();

    public static string FileName(DateTimeOffset time, string? gatewayName)
    {
        string day = time.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        return string.IsNullOrEmpty(gatewayName) || string.Equals(gatewayName, DefaultGatewayName, StringComparison.OrdinalIgnoreCase)
            ? $"{Prefix}{day}{Extension}"
            : $"{Prefix}{day}.{SafeName(gatewayName)}{Extension}";
    }

    /// <summary>The UTC day a log file covers, or null when the name is not an activity file.</summary>
    public static DateOnly? DayOf(string fileName)
    {
        string name = System.IO.Path.GetFileName(fileName);
        if (!name.StartsWith(Prefix, StringComparison.Ordinal) || !name.EndsWith(Extension, StringComparison.Ordinal)
            || name.Length < Prefix.Length + 8 + Extension.Length)
        {
            return null;
        }

        return DateOnly.TryParseExact(name.AsSpan(Prefix.Length, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly day)
            ? day
            : null;
    }

    /// <summary>Deletes the daily files older than <paramref name="retentionDays"/> days; returns the files deleted.</summary>
    public static IReadOnlyList<string> DeleteExpired(string directory, int retentionDays, DateTimeOffset now)
    {
        var deleted = new List<string>();
        if (retentionDays < 1 || !Directory.Exists(directory))
        {
            return deleted;
        }

        DateOnly oldestKept = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-(retentionDays - 1));
        foreach (string file in Directory.EnumerateFiles(directory, Prefix + "*" + Extension))
        {
            if (DayOf(file) is { } day && day < oldestKept)
            {
                try
                {
                    File.Delete(file);
                    deleted.Add(file);
                    File.Delete(ActivityLogIndex.PathOf(file));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Retried on the next sweep.
                }
            }
        }

        return deleted;
    }

    /// <summary>The activity of a store, for Get-CasbActivity.</summary>
    public static IActivityReader OpenReader(Store.IConfigurationStore store)
    {
        ArgumentNullException.ThrowIfNull(store);

        // A PostgreSQL store's gateways write their activity to its database (every replica's in one table).
        return store is Store.Postgres.PostgresStore database
            ? new PostgresActivityReader(database.Uri.Location)
            : new FileActivityReader(store.ActivityDirectory);
    }

    /// <summary>
    /// What <paramref name="reader"/> returns for <paramref name="query"/> on <paramref name="store"/>'s activity, with a
    /// failure to read as the store's error (StoreUnavailable, StoreAuthenticationFailed, ... for a database;
    /// ActivityReadFailed for a folder that cannot be read), never a .NET exception, for Get-CasbActivity.
    /// </summary>
    public static IEnumerable<ActivityRecord> Read(Store.IConfigurationStore store, IActivityReader reader, ActivityQuery query)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(query);
        using IEnumerator<ActivityRecord> records = Try(store, () => reader.Read(query).GetEnumerator());
        while (Try(store, records.MoveNext))
        {
            yield return records.Current;
        }
    }

    private static T Try<T>(Store.IConfigurationStore store, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (store is Store.Postgres.PostgresStore && ex is Npgsql.NpgsqlException or TimeoutException or IOException)
        {
            throw Store.Postgres.PostgresStore.Failure(store.Location, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CasbException(
                "ActivityReadFailed", CasbErrorKind.ReadError, $"Cannot read the activity log '{store.ActivityDirectory}': {ex.Message}", store.ActivityDirectory, ex);
        }
    }

    /// <summary>Every record under <paramref name="directory"/> in the time range, newest first (lazy; see <see cref="FileActivityReader"/>).</summary>
    public static IEnumerable<ActivityRecord> ReadNewestFirst(string directory, DateTimeOffset? after = null, DateTimeOffset? before = null) =>
        new FileActivityReader(directory).Read(new ActivityQuery { After = after, Before = before });

    // Letters, digits, '.' and '-' as they are; any other character as '_' and its four hex digits (a space is _0020, an
    // underscore _005f). One name, one file: two names that are not the same ignoring case never share a file (two
    // gateways writing one file overwrite each other's lines), even on a file system that ignores case.
    private static string SafeName(string name)
    {
        var safe = new StringBuilder(name.Length + 8);
        foreach (char c in name)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-')
            {
                safe.Append(c);
            }
            else
            {
                safe.Append('_').Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        return safe.ToString();
    }

    private static JsonSerializerOptions CreateSerializerOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = false,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
