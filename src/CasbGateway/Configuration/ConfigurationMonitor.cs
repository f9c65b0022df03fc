using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;
using CasbGateway.Hosting;

namespace CasbGateway.Configuration;

/// <summary>
/// Holds the current <see cref="EngineState"/> and replaces it when the store changes: a file-system watch
/// (debounced) plus a periodic check as a fallback. A new revision that fails to load or validate is refused
/// and logged; the last good one keeps serving. Readers take the state with one volatile read per request.
/// </summary>
internal sealed partial class ConfigurationMonitor : IHostedService, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(150);

    private readonly CasbStore _store;
    private readonly GatewayOptions _options;
    private readonly ILogger<ConfigurationMonitor> _logger;
    private readonly object _reloadLock = new();
    private EngineState? _current;
    private long _refusedRevision = -1;
    private FileSystemWatcher? _watcher;
    private Timer? _debounceTimer;
    private Timer? _pollTimer;
    private (DateTime WriteTime, long Length) _lastSeen;

    public ConfigurationMonitor(GatewayOptions options, ILogger<ConfigurationMonitor> logger)
    {
        _options = options;
        _store = new CasbStore(options.StorePath);
        _logger = logger;
    }

    public EngineState? Current => Volatile.Read(ref _current);

    public string StorePath => _store.Path;

    /// <summary>Raised after a new revision is swapped in.</summary>
    public event Action<EngineState>? Changed;

    /// <summary>Loads the store at start; a broken store stops the gateway from starting.</summary>
    public void LoadInitial()
    {
        _lastSeen = Stamp();
        CasbConfiguration configuration;
        try
        {
            configuration = _store.Load();
        }
        catch (CasbException ex)
        {
            throw new GatewayStartupException($"Cannot load the store '{_store.Path}': {ex.Message}", ex);
        }

        IReadOnlyList<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration);
        if (problems.Count > 0)
        {
            throw new GatewayStartupException(
                $"The configuration in '{_store.ConfigurationFile}' is invalid: {string.Join(" ", problems.Select(p => p.Message))}");
        }

        try
        {
            Volatile.Write(ref _current, new EngineState(configuration, _store.LoadSecrets));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new GatewayStartupException($"Cannot compile the configuration in '{_store.ConfigurationFile}': {ex.Message}", ex);
        }

        LogLoaded(configuration.Revision, _store.ConfigurationFile);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_store.Path);
        _debounceTimer = new Timer(_ => Guarded(Reload), null, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(_store.Path, CasbStore.ConfigurationFileName)
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => Schedule();
        _watcher.Created += (_, _) => Schedule();
        _watcher.Renamed += (_, _) => Schedule();
        _watcher.Error += (_, e) => LogWatcherError(e.GetException().Message);
        _watcher.EnableRaisingEvents = true;
        _pollTimer = new Timer(_ => Guarded(Poll), null, _options.ConfigurationPollInterval, _options.ConfigurationPollInterval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounceTimer?.Dispose();
        _pollTimer?.Dispose();
    }

    /// <summary>Loads the store now and swaps in the new revision when it is newer and valid.</summary>
    public void Reload()
    {
        lock (_reloadLock)
        {
            _lastSeen = Stamp();
            CasbConfiguration configuration;
            try
            {
                configuration = _store.Load();
            }
            catch (CasbException ex)
            {
                LogRefused(-1, ex.Message);
                return;
            }

            EngineState? current = Current;
            if (current is not null && configuration.Revision == current.Revision)
            {
                return;
            }

            IReadOnlyList<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration);
            if (problems.Count > 0)
            {
                if (configuration.Revision != _refusedRevision)
                {
                    _refusedRevision = configuration.Revision;
                    LogRefused(configuration.Revision, string.Join(" ", problems.Select(p => $"{p.ErrorId}: {p.Message}")));
                }

                return;
            }

            EngineState next;
            try
            {
                next = new EngineState(configuration, _store.LoadSecrets);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogRefused(configuration.Revision, ex.Message);
                return;
            }

            Volatile.Write(ref _current, next);
            LogLoaded(configuration.Revision, _store.ConfigurationFile);
            Changed?.Invoke(next);
        }
    }

    // A timer callback that throws would end the process: a failed check is logged and retried on the next tick.
    private void Guarded(Action check)
    {
        try
        {
            check();
        }
        catch (Exception ex)
        {
            LogRefused(-1, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private void Schedule() => _debounceTimer?.Change(Debounce, Timeout.InfiniteTimeSpan);

    private void Poll()
    {
        if (Stamp() != _lastSeen)
        {
            Reload();
        }
    }

    private (DateTime, long) Stamp()
    {
        var file = new FileInfo(_store.ConfigurationFile);
        return file.Exists ? (file.LastWriteTimeUtc, file.Length) : (DateTime.MinValue, -1);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Configuration revision {Revision} loaded from {File}.")]
    private partial void LogLoaded(long revision, string file);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Configuration revision {Revision} refused; the last good revision keeps serving: {Reason}")]
    private partial void LogRefused(long revision, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The store watcher failed ({Reason}); changes are still picked up by polling.")]
    private partial void LogWatcherError(string reason);
}
