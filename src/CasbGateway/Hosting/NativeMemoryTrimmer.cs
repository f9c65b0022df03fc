using System.Globalization;
using System.Runtime;

namespace CasbGateway.Hosting;

/// <summary>
/// Gives the memory of closed connections back to the system. Each TLS connection holds OpenSSL state and
/// buffers allocated with malloc; glibc keeps what is freed in its arenas for reuse, so after a burst of
/// connections closes, RSS stays at the burst's peak (the benchmark: 255 MB with 1,000 connections, still 255 MB
/// 10 s after they closed). The managed heap does the same: the connections' objects are garbage once they close,
/// but no collection runs while nothing allocates, so the GC keeps the regions they used committed (28 -> 55 MB
/// committed after 1,000 connections, still 55 MB 10 s after they closed). Every few seconds, when the open
/// connections have fallen to half of the peak since the last trim or less (and by a real number), one aggressive
/// collection (compacting, decommitting the free regions), the finalizers it made due (native handles), then
/// <c>malloc_trim(0)</c> for the free native pages. Never under steady load, when it would only make the GC and
/// malloc ask for the memory again; at most once per fall of the connections, so its pause (a full collection of a
/// heap of tens of MB) is not on every request's path.
/// </summary>
internal sealed partial class NativeMemoryTrimmer(ILogger<NativeMemoryTrimmer> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);

    // Below this many closed connections there is too little to give back to be worth the arenas' lock.
    private const int MinimumDrop = 64;

    private int _open;
    private int _peak;
    private Timer? _timer;

    public void ConnectionOpened()
    {
        int open = Interlocked.Increment(ref _open);
        int peak;
        while (open > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, open, peak) != peak)
        {
        }
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _open);

    /// <summary>How many times the memory was trimmed (tests).</summary>
    public int Trims { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // What the runtime actually applied (a DOTNET_ environment variable can override the runtimeconfig knobs), so
        // an admin comparing memory figures can see it.
        IReadOnlyDictionary<string, object> gc = GC.GetConfigurationVariables();
        LogMemorySettings(
            logger,
            GCSettings.IsServerGC ? "server" : "workstation",
            gc.TryGetValue("GCGen0MaxBudget", out object? budget) ? Math.Round(Convert.ToInt64(budget, CultureInfo.InvariantCulture) / 1048576.0, 1) : double.NaN,
            NativeMemoryTuning.MallocArenas);

        if (OperatingSystem.IsLinux())
        {
            _timer = new Timer(_ => TrimIfDropped(), null, Interval, Interval);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _timer?.Dispose();

    internal void TrimIfDropped()
    {
        int open = Volatile.Read(ref _open);
        int peak = Volatile.Read(ref _peak);
        if (peak - open < MinimumDrop || open > peak / 2)
        {
            return;
        }

        Volatile.Write(ref _peak, open);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        if (NativeMemoryTuning.TrimFreedMemory())
        {
            Trims++;
        }
    }

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "Memory: {GcMode} GC, gen0 budget at most {Gen0BudgetMB} MB, malloc arenas {MallocArenas}.")]
    private static partial void LogMemorySettings(ILogger logger, string gcMode, double gen0BudgetMB, string mallocArenas);
}
