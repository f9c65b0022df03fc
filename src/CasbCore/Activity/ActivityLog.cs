using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CasbCore.Activity;

/// <summary>
/// The layout of the activity log: JSON lines in daily (UTC) files under &lt;store&gt;/activity, named
/// <c>activity-YYYYMMDD.jsonl</c> for the gateway named "default" and <c>activity-YYYYMMDD.&lt;name&gt;.jsonl</c>
/// for any other, so two gateways sharing a store never interleave writes in one file.
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

    /// <summary>Every record under <paramref name="directory"/> in the time range, newest first (lazy; see <see cref="FileActivityReader"/>).</summary>
    public static IEnumerable<ActivityRecord> ReadNewestFirst(string directory, DateTimeOffset? after = null, DateTimeOffset? before = null) =>
        new FileActivityReader(directory).Read(new ActivityQuery { After = after, Before = before });

    private static string SafeName(string name)
    {
        char[] chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] is not '-' and not '_')
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
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
