using CasbCore.Activity;
using CasbCore.Store;
using CasbGateway.Configuration;
using CasbGateway.Hosting;
using CasbGateway.Telemetry;

namespace CasbGateway.Activity;

/// <summary>Owns the activity-log writer of this gateway and applies the retention setting (at start and daily).</summary>
internal sealed partial class ActivityRecorder : IHostedService, IAsyncDisposable
{
    private readonly ActivityLogWriter _writer;
    private readonly ConfigurationMonitor _configuration;
    private readonly ILogger<ActivityRecorder> _logger;
    private readonly string _directory;
    private Timer? _retentionTimer;

    public ActivityRecorder(GatewayOptions options, ConfigurationMonitor configuration, GatewayMetrics metrics, ILogger<ActivityRecorder> logger)
    {
        _directory = ConfigurationStores.Open(options.StorePath).ActivityDirectory;
        _configuration = configuration;
        _logger = logger;
        _writer = new ActivityLogWriter(_directory, options.Name, ex => LogWriteFailed(ex.Message), lost => LogWriteRecovered(lost));
        metrics.ObserveDroppedActivity(() => _writer.Dropped, () => _writer.WriteFailed);
    }

    public void Record(ActivityRecord record) => _writer.Write(record);

    /// <summary>At start: a gateway that could not record what it enforces does not start.</summary>
    public void CheckWritable()
    {
        try
        {
            _writer.EnsureWritable();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new GatewayStartupException($"Cannot write the activity log in '{_directory}': {GatewayStartupException.Cause(ex)}", ex);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _retentionTimer = new Timer(_ => ApplyRetention(), null, TimeSpan.Zero, TimeSpan.FromDays(1));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _retentionTimer?.Dispose();
        await _writer.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _retentionTimer?.Dispose();
        await _writer.DisposeAsync();
    }

    private void ApplyRetention()
    {
        int days = _configuration.Current?.Engine.Configuration.Settings.ActivityRetentionDays ?? 30;
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

    [LoggerMessage(EventId = 20, Level = LogLevel.Error, Message = "Cannot write the activity log: {Reason} Records are lost, and counted in the metric casb_gateway_activity_dropped_total with reason write_failed, until it can.")]
    private partial void LogWriteFailed(string reason);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "The activity retention sweep failed: {Reason}")]
    private partial void LogRetentionFailed(string reason);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "The activity log is writable again; {Lost} records were lost meanwhile.")]
    private partial void LogWriteRecovered(long lost);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Deleted activity file {File} (retention {Days} days).")]
    private partial void LogDeleted(string file, int days);
}
