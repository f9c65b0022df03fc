using CasbCore.Activity;
using CasbCore.Model;
using CasbCore.Store;
using CasbGateway.Configuration;
using CasbGateway.Hosting;
using CasbGateway.Telemetry;

namespace CasbGateway.Activity;

/// <summary>
/// The gateway's only way to activity: each record goes to every sink through the sink's own bounded queue
/// (<see cref="ActivityPump"/>), so a slow or failing sink neither blocks a request nor holds back the others.
/// Applies the retention setting to the files (at start and daily).
/// </summary>
internal sealed partial class ActivityRecorder : IHostedService, IAsyncDisposable
{
    private readonly FileActivitySink? _file;
    private readonly string? _database;
    private readonly ActivityPump[] _pumps;
    private readonly ConfigurationMonitor _configuration;
    private readonly ILogger<ActivityRecorder> _logger;
    private readonly string _directory;
    private readonly ActivitySummarizer _summarizer = new();
    private Timer? _retentionTimer;
    private Timer? _summaryTimer;
    private int _disposed;

    public ActivityRecorder(GatewayOptions options, ConfigurationMonitor configuration, GatewayMetrics metrics, ILogger<ActivityRecorder> logger)
    {
        _directory = ConfigurationStores.Open(options.StorePath).ActivityDirectory;
        _configuration = configuration;
        _logger = logger;
        // A gateway on a PostgreSQL store writes its activity to that database, with every other replica's.
        if ((options.ActivityDatabase ?? (ConfigurationStores.IsDatabaseUri(options.StorePath) ? options.StorePath : null)) is { } database)
        {
            // The database down must not stop the gateway: its records wait in the queue (and /readyz says so).
            _database = database;
            _pumps = [Pump(new PostgresActivitySink(database), options)];
        }
        else
        {
            _file = new FileActivitySink(_directory, options.Name);
            _pumps = [Pump(_file, options)];
        }

        if (options.ActivityOtlpEndpoint is { } otlp)
        {
            // In addition to the primary sink, never instead: a collector that is down must not cost the records kept here.
            _pumps = [.. _pumps, Pump(new OtlpActivitySink(otlp, options.Name, options.ActivityOtlpHeaders, compression: options.ActivityOtlpCompression), options)];
            LogOtlp(otlp.GetLeftPart(UriPartial.Path), options.ActivityOtlpHeaders.Count, options.ActivityOtlpCompression.ToString().ToLowerInvariant());
        }

        metrics.ObserveActivity(_pumps);
    }

    /// <summary>The sinks' queues, the primary sink's first (tests wait on their counts).</summary>
    internal IReadOnlyList<ActivityPump> Pumps => _pumps;

    /// <summary>Why recording is degraded right now (a sink failing, or its receiver refusing records), or null.</summary>
    public string? Degraded
    {
        get
        {
            string[] reasons = _pumps.SelectMany(p => new[] { p.FailingReason, p.RefusingReason }).OfType<string>().ToArray();
            return reasons.Length == 0 ? null : string.Join("; ", reasons);
        }
    }

    /// <summary>Records a request's activity: as it is, or counted into a Summary record (activity volume).</summary>
    public void Record(ActivityRecord record)
    {
        if (Summarizing && _summarizer.TryCount(record))
        {
            return;
        }

        Write(record);
    }

    /// <summary>
    /// An allowed request (no file, no error: the caller has checked) counted into its minute's Summary by its user, app
    /// and device alone, before its record is built: true when activity volume is Summary, its session is known and its
    /// minute already has a Summary. Otherwise the caller builds the record and calls <see cref="Record"/>, which
    /// decides as it always has (<see cref="ActivitySummarizer.TryCountRepeat"/>).
    /// </summary>
    public bool TryCountRepeat(string? user, string? app, string? certificateThumbprint, DateTimeOffset time, long? bytes, long revision) =>
        Summarizing && _summarizer.TryCountRepeat(user, app, certificateThumbprint, time, bytes, revision);

    private bool Summarizing => _configuration.Current?.Engine.Configuration.Settings.ActivityVolume is ActivityVolume.Summary;

    private void Write(ActivityRecord record)
    {
        foreach (ActivityPump pump in _pumps)
        {
            pump.Write(record);
        }
    }

    /// <summary>At start: a gateway that could not record what it enforces does not start.</summary>
    public void CheckWritable()
    {
        try
        {
            _file?.EnsureWritable(DateTimeOffset.UtcNow);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new GatewayStartupException($"Cannot write the activity log in '{_directory}': {GatewayStartupException.Cause(ex)}", ex);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _retentionTimer = new Timer(_ => ApplyRetention(), null, TimeSpan.Zero, TimeSpan.FromDays(1));
        _summaryTimer = new Timer(_ => FlushSummaries(all: false), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes what is queued: all of it to the primary sink, to the collector until <paramref name="cancellationToken"/>
    /// (the host's shutdown timeout), after which what it has left is counted as lost.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => StopPumpsAsync(cancellationToken);

    public ValueTask DisposeAsync() => new(StopPumpsAsync(CancellationToken.None));

    private async Task StopPumpsAsync(CancellationToken giveUp)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _retentionTimer?.Dispose();
        if (_summaryTimer is not null)
        {
            await _summaryTimer.DisposeAsync();
        }

        // The minutes still open are written as they stand: their counts are complete up to now.
        FlushSummaries(all: true);
        foreach (ActivityPump pump in _pumps)
        {
            // The primary sink (files, the database) is always drained: it is the record of what was enforced, and the host's
            // timeout may be spent already (connections held open to the end). A collector stops waiting when the time is up.
            await pump.StopAsync(pump == _pumps[0] ? CancellationToken.None : giveUp);
            if (pump.DroppedShutdown > 0)
            {
                LogShutdownLost(pump.SinkName, pump.DroppedShutdown);
            }
        }
    }

    private void FlushSummaries(bool all)
    {
        foreach (ActivityRecord summary in _summarizer.Flush(DateTimeOffset.UtcNow, all))
        {
            Write(summary);
        }
    }

    private ActivityPump Pump(IActivitySink sink, GatewayOptions options) => new(
        sink,
        options.ActivityQueueCapacity,
        ex => LogSinkFailing(sink.Name, ex.Message),
        failedFor => LogSinkRecovered(sink.Name, failedFor.TotalSeconds),
        options.ActivityRetryInterval,
        reason => LogSinkRefusing(sink.Name, reason));

    private void ApplyRetention()
    {
        int days = _configuration.Current?.Engine.Configuration.Settings.ActivityRetentionDays ?? 30;
        if (_database is not null)
        {
            ApplyDatabaseRetention(_database, days);
            return;
        }

        try
        {
            foreach (string file in ActivityLog.DeleteExpired(_directory, days, DateTimeOffset.UtcNow))
            {
                LogDeleted(file, days);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogRetentionFailed(ex.Message);
        }
    }

    // A method of its own, never inlined: compiling ApplyRetention must not resolve Npgsql's types, or every gateway
    // maps Npgsql, System.Data.Common and System.Transactions.Local (about 2 MB resident) whether its activity goes to a
    // database or not (docs/benchmarks.md, "Fifth pass: memory"; GatewayMemoryTests keeps it so).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ApplyDatabaseRetention(string database, int days)
    {
        try
        {
            using var connection = new Npgsql.NpgsqlConnection(PostgresActivity.ConnectionString(database));
            connection.Open();
            PostgresActivity.EnsureSchema(connection);
            foreach (string partition in PostgresActivity.DropExpired(connection, days, DateTimeOffset.UtcNow))
            {
                LogDeleted(partition, days);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Npgsql.NpgsqlException)
        {
            LogRetentionFailed(ex.Message);
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Error, Message = "The activity sink {Sink} fails: {Reason} Records wait in its queue and are retried every second; what the full queue cannot take is counted in casb_gateway_activity_dropped_total.")]
    private partial void LogSinkFailing(string sink, string reason);

    [LoggerMessage(EventId = 25, Level = LogLevel.Information, Message = "Activity also goes to the OTLP logs endpoint {Endpoint} ({Headers} headers, compression {Compression}).")]
    private partial void LogOtlp(string endpoint, int headers, string compression);

    [LoggerMessage(EventId = 26, Level = LogLevel.Error, Message = "The activity sink {Sink} loses records: {Reason} They are not sent again; casb_gateway_activity_dropped_total{{reason=\"not_retryable\"}} counts them.")]
    private partial void LogSinkRefusing(string sink, string reason);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "The activity retention sweep failed: {Reason}")]
    private partial void LogRetentionFailed(string reason);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "The activity sink {Sink} works again after {Seconds:F1} s.")]
    private partial void LogSinkRecovered(string sink, double seconds);

    [LoggerMessage(EventId = 24, Level = LogLevel.Error, Message = "The activity sink {Sink} still failed at shutdown: {Lost} records were lost.")]
    private partial void LogShutdownLost(string sink, long lost);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Deleted activity file {File} (retention {Days} days).")]
    private partial void LogDeleted(string file, int days);
}
