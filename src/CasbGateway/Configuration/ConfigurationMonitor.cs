using System.Security.Cryptography;
using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;
using CasbGateway.Hosting;
using CasbGateway.Telemetry;

namespace CasbGateway.Configuration;

/// <summary>
/// Holds the current <see cref="EngineState"/> and replaces it when the store's document changes: the store's change
/// hint (a file-system watch for a folder, LISTEN/NOTIFY for PostgreSQL; debounced) plus a periodic check as a fallback.
/// The gateway's configuration provider: it reads the store only through <see cref="IConfigurationStore"/>. Changes are detected by the content's SHA-256, not by the
/// revision number, so a hand edit that keeps the revision is applied too. A file that does not parse, validate or
/// compile is refused, and a file that disappears or cannot be read is not an empty configuration: in each case the
/// last good revision keeps serving and the gateway reports itself degraded until the file is good again.
/// Readers take the state with one volatile read per request.
/// </summary>
internal sealed partial class ConfigurationMonitor : IHostedService, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(150);

    // Reads of a document that another write replaced while its secrets were read, before a check gives up until the next.
    private const int ReadAttempts = 5;

    private readonly IConfigurationStore _store;
    private readonly GatewayOptions _options;
    private readonly ILogger<ConfigurationMonitor> _logger;
    private readonly object _reloadLock = new();
    private int _checksAsked;
    private EngineState? _current;
    private string? _degraded;
    private string? _watchLost;
    private string? _refusedHash;
    private string? _refusedReason;
    private IDisposable? _watcher;
    private Timer? _debounceTimer;
    private Timer? _pollTimer;

    public ConfigurationMonitor(GatewayOptions options, IConfigurationStore store, GatewayMetrics metrics, ILogger<ConfigurationMonitor> logger)
    {
        _options = options;
        _store = store;
        _logger = logger;
        metrics.ObserveConfiguration(() => Current?.Revision ?? 0, () => Degraded is null ? 0 : 1);
    }

    public EngineState? Current => Volatile.Read(ref _current);

    /// <summary>
    /// Why the configuration served may not be the store's (missing, unreadable, refused; a database's change
    /// notifications lost), null when it is.
    /// </summary>
    public string? Degraded =>
        (Volatile.Read(ref _degraded), Volatile.Read(ref _watchLost)) switch
        {
            (null, null) => null,
            (string read, null) => read,
            (null, string watch) => watch,
            (string read, string watch) => $"{read}; {watch}",
        };

    public string StorePath => _store.Location;

    /// <summary>Raised after a new configuration is swapped in.</summary>
    public event Action<EngineState>? Changed;

    /// <summary>
    /// Raised with a new configuration just before it is swapped in, while requests still see the one before: what the
    /// new one needs before its first request (the session key ring when sign-in appears) is made here.
    /// </summary>
    public event Action<EngineState>? Swapping;

    /// <summary>
    /// Raised after each look at the store (a change hint or a poll), changed or not: what else gateways share through
    /// the store (the server certificate) is followed on the same beat.
    /// </summary>
    public event Action? Checked;

    /// <summary>
    /// Loads the store at start; a broken store stops the gateway from starting. No file yet is an empty configuration.
    /// A store written while it is read (a runbook adding policies in a loop) is read again, after a short pause, until one
    /// read is whole: never a count of reads, which a burst of writes outlasts, only <see cref="GatewayOptions.StoreReadTimeout"/>.
    /// </summary>
    public void LoadInitial()
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        for (int reads = 1; ; reads++)
        {
            if (TryLoadInitial())
            {
                return;
            }

            if (elapsed.Elapsed >= _options.StoreReadTimeout)
            {
                throw new GatewayStartupException(
                    $"Cannot load the store '{_store.Location}': '{_store.DocumentName}' kept changing while it was read ({reads} reads in {elapsed.Elapsed.TotalSeconds:0.#} s). Start the gateway again when the writes to the store settle.");
            }

            Thread.Sleep(Random.Shared.Next(5, 10 * Math.Min(reads, 10)));
        }
    }

    // False when the document changed while its secrets were read: nothing of that read is kept.
    private bool TryLoadInitial()
    {
        byte[]? bytes;
        try
        {
            bytes = ReadStoreFile();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new GatewayStartupException($"Cannot load the store '{_store.Location}': cannot read '{_store.DocumentName}': {GatewayStartupException.Cause(ex)}", ex);
        }
        catch (CasbException ex)
        {
            throw new GatewayStartupException($"Cannot load the store '{_store.Location}': {ex.Message}", ex);
        }

        CasbConfiguration configuration;
        try
        {
            configuration = bytes is null ? new CasbConfiguration() : CasbStore.Parse(bytes, _store.DocumentName);
        }
        catch (CasbException ex)
        {
            throw new GatewayStartupException($"Cannot load the store '{_store.Location}': {ex.Message}", ex);
        }

        IReadOnlyList<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration);
        if (problems.Count > 0)
        {
            throw new GatewayStartupException(
                $"The configuration in '{_store.DocumentName}' is invalid: {string.Join(" ", problems.Select(p => p.Message))}");
        }

        EngineState state;
        try
        {
            state = new EngineState(configuration, bytes is null ? null : Hash(bytes), bytes is null ? _store.LoadSecrets : SecretsBeside(bytes));
        }
        catch (DocumentChangedWhileRead)
        {
            return false;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new GatewayStartupException($"Cannot compile the configuration in '{_store.DocumentName}': {ex.Message}", ex);
        }

        Volatile.Write(ref _current, state);
        LogLoaded(configuration.Revision, state.ShortHash, _store.DocumentName);
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _debounceTimer = new Timer(_ => Check(), null, Timeout.Infinite, Timeout.Infinite);
        try
        {
            // A file write raises several events, so they are debounced; a database announces each commit once.
            _watcher = _store.WatchChanges(_store is CasbStore ? Schedule : Notified, WatchFailed);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            // e.g. the inotify instance limit is reached: no reason not to serve, polling still sees every change.
            _watcher?.Dispose();
            _watcher = null;
            LogWatcherError(ex.Message);
        }

        _pollTimer = new Timer(_ => Check(), null, _options.ConfigurationPollInterval, _options.ConfigurationPollInterval);
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

    /// <summary>Reads the store file now and swaps in its configuration when the content changed and is valid.</summary>
    public void Reload() => Reload(ReadAttempts);

    private void Reload(int attemptsLeft)
    {
        lock (_reloadLock)
        {
            EngineState? current = Current;

            // The hash first: a poll of an unchanged document (nearly every poll) reads nothing into memory.
            if (!TryReadStore(_store.DocumentHash, out string? storedHash))
            {
                return;
            }

            if (storedHash is not null && storedHash == current?.ContentHash)
            {
                SetDegraded(null);
                return;
            }

            if (storedHash is not null && storedHash == _refusedHash)
            {
                // Not read again, but still not served: back in the file after the served one was put back meanwhile.
                SetDegraded(_refusedReason);
                return;
            }

            // What is parsed is what is hashed: the document is read once, and its own hash is the one kept, in case it
            // changed again between the two reads.
            if (!TryReadStore(ReadStoreFile, out byte[]? bytes))
            {
                return;
            }

            if (bytes is null)
            {
                // A deleted store file is an accident or an unfinished restore, never "no apps": the last good one keeps serving.
                if (current?.ContentHash is not null)
                {
                    SetDegraded($"the store file '{_store.DocumentName}' is missing");
                }

                return;
            }

            string hash = Hash(bytes);
            if (hash == current?.ContentHash)
            {
                SetDegraded(null);
                return;
            }

            if (hash == _refusedHash)
            {
                SetDegraded(_refusedReason);
                return;
            }

            CasbConfiguration configuration;
            try
            {
                configuration = CasbStore.Parse(bytes, _store.DocumentName);
            }
            catch (CasbException ex)
            {
                Refuse(hash, -1, ex.Message);
                return;
            }

            IReadOnlyList<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration);
            if (problems.Count > 0)
            {
                Refuse(hash, configuration.Revision, string.Join(" ", problems.Select(p => $"{p.ErrorId}: {p.Message}")));
                return;
            }

            EngineState next;
            Exception? secretsFailure = null;
            try
            {
                next = new EngineState(configuration, hash, () =>
                {
                    try
                    {
                        return SecretsBeside(bytes)();
                    }
                    catch (Exception ex) when (ex is not DocumentChangedWhileRead)
                    {
                        secretsFailure = ex;
                        throw;
                    }
                });
            }
            catch (DocumentChangedWhileRead) when (attemptsLeft > 1)
            {
                Reload(attemptsLeft - 1); // the document read is no longer the store's: its secrets may be gone
                return;
            }
            catch (DocumentChangedWhileRead)
            {
                SetDegraded($"the store file '{_store.DocumentName}' changed {ReadAttempts} times while it was read; it is read again on the next check");
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (secretsFailure is not null)
                {
                    // The secrets, not this document, are at fault: not refused by its hash (that is for good), looked at
                    // again on the next check, as a store that cannot be read is.
                    SetDegraded($"revision {configuration.Revision} in the store file waits for the store's secrets: {GatewayStartupException.OneLine(secretsFailure.Message)}");
                    return;
                }

                Refuse(hash, configuration.Revision, ex.Message);
                return;
            }

            Swapping?.Invoke(next);
            Volatile.Write(ref _current, next);
            _refusedHash = null;
            SetDegraded(null);
            if (current is not null && configuration.Revision <= current.Revision)
            {
                LogRevisionNotIncreased(configuration.Revision, current.Revision);
            }

            LogLoaded(configuration.Revision, next.ShortHash, _store.DocumentName);
            Changed?.Invoke(next);
        }
    }

    // False (and the gateway degraded, still serving its last good revision) when the store cannot be read.
    private bool TryReadStore<T>(Func<T> read, out T? value)
    {
        try
        {
            value = Unwrapped(read);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SetDegraded($"cannot read the store file '{_store.DocumentName}': {GatewayStartupException.Cause(ex)}");
        }
        catch (CasbException ex)
        {
            // The database is down or refuses us: enforcement goes on with the last good revision.
            SetDegraded($"cannot read the store '{_store.Location}': {ex.Message}");
        }

        value = default;
        return false;
    }

    // The store's secrets as they were beside this document (ConfigurationStoreExtensions.TryReadBeside): a secrets file read
    // after a rotation no longer holds the secret the document before it refers to.
    private Func<StoreSecrets> SecretsBeside(byte[] document) => () =>
        _store.TryReadBeside(document, _store.LoadSecrets, out StoreSecrets secrets) ? secrets : throw new DocumentChangedWhileRead();

    private sealed class DocumentChangedWhileRead() : Exception("the store's document changed while its secrets were read");

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    // Null when the store has no document (no file, or no row).
    private byte[]? ReadStoreFile() => Unwrapped(_store.ReadDocument);

    // Read errors throw: a file store's IOException comes through as its StoreReadFailed with the IOException inside,
    // unwrapped here so the message names the cause.
    private T Unwrapped<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (CasbException ex) when (_store is CasbStore && ex.InnerException is IOException or UnauthorizedAccessException)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException!);
            throw;
        }
    }

    private void Refuse(string hash, long revision, string reason)
    {
        _refusedHash = hash;
        _refusedReason = revision >= 0 ? $"revision {revision} in the store file was refused: {reason}" : $"the store file was refused: {reason}";
        LogRefused(revision, reason);
        SetDegraded(_refusedReason, alreadyLogged: true);
    }

    private void SetDegraded(string? reason, bool alreadyLogged = false)
    {
        string? previous = Volatile.Read(ref _degraded);
        if (previous == reason)
        {
            return;
        }

        Volatile.Write(ref _degraded, reason);
        long revision = Current?.Revision ?? 0;
        if (reason is null)
        {
            LogRecovered(revision);
        }
        else if (!alreadyLogged)
        {
            LogDegraded(revision, reason);
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

    // The poll and the change hints come on timer callbacks, each on a pool thread. While a check runs (a slow database,
    // a slow Changed handler), the ones that come meanwhile do not queue on the reload lock, one blocked pool thread per
    // tick: the running check runs once more after it finishes, which sees whatever they would have seen.
    internal void Check()
    {
        if (Interlocked.Increment(ref _checksAsked) > 1)
        {
            return;
        }

        do
        {
            // Every ask so far is answered by the look that starts now.
            Volatile.Write(ref _checksAsked, 1);
            Guarded(Reload);
            if (Checked is { } checkedHandlers)
            {
                Guarded(checkedHandlers);
            }
        }
        while (Interlocked.Decrement(ref _checksAsked) > 0);
    }

    private void Schedule() => _debounceTimer?.Change(Debounce, Timeout.InfiniteTimeSpan);

    private void ReloadNow() => _debounceTimer?.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);

    // A database's notification (or its listener's first check after connecting) comes over a working connection.
    private void Notified()
    {
        if (Interlocked.Exchange(ref _watchLost, null) is not null)
        {
            LogWatchResumed(_store.Location);
        }

        ReloadNow();
    }

    private void WatchFailed(string reason)
    {
        LogWatcherError(reason);
        if (_store is not CasbStore)
        {
            // The database's connection is gone: most likely the database with it, and a change committed now would reach
            // this gateway only by the next poll. Degraded at once, and checked at once (the read says whether the store
            // itself can be reached); the listener reconnecting clears it.
            Volatile.Write(ref _watchLost, OneLine(reason));
        }

        // A file watch that failed may have missed an event: look now rather than at the next poll.
        ReloadNow();
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Configuration revision {Revision} (sha256 {Hash}) loaded from {File}.")]
    private partial void LogLoaded(long revision, string hash, string file);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Configuration revision {Revision} refused; the last good revision keeps serving: {Reason}")]
    private partial void LogRefused(long revision, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The store watcher failed ({Reason}); changes are still picked up by polling.")]
    private partial void LogWatcherError(string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Degraded: {Reason}; revision {Revision} keeps serving.")]
    private partial void LogDegraded(long revision, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "No longer degraded: the store file matches the configuration served (revision {Revision}).")]
    private partial void LogRecovered(long revision);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Listening for changes on {Store} again.")]
    private partial void LogWatchResumed(string store);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "The store file changed without a higher revision ({Revision}, was {Previous}); applied, since changes are detected by content.")]
    private partial void LogRevisionNotIncreased(long revision, long previous);
}
