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
/// <para>
/// The same once a fall of load (not of connections) has left the gateway near idle: load grows the GC's budgets and
/// leaves garbage no collection comes for while nothing allocates (the benchmark: 50 MB of GC heap committed at idle
/// after its throughput rounds, 15 MB after this collection), and the next burst started from there: the
/// 1,000-connection peak was that idle figure plus the burst (docs/benchmarks.md, "Sixth pass: memory": RSS idle
/// 157 -> 111 MB, at 1,000 connections 233 -> 192 MB with the handshake gate). Read from the GC's count of allocated
/// bytes every interval, so nothing is counted per request.
/// </para>
/// </summary>
internal sealed partial class NativeMemoryTrimmer(ILogger<NativeMemoryTrimmer> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);

    // Below this many closed connections there is too little to give back to be worth the arenas' lock.
    private const int MinimumDrop = 64;

    // A fall of load, read from the GC's count of allocated bytes (no counter on the request path): an interval that
    // allocated at least BusyBytes (a request allocates about 4-5 KB: some 1,200 requests/s or more over the 3 s), then
    // one that allocated less than QuietBytes (under about 150 requests/s; an idle gateway allocates 0.1-0.5 MB in 3 s).
    internal const long BusyBytes = 16L << 20;
    internal const long QuietBytes = 2L << 20;

    private int _open;
    private int _peak;
    private long _allocated = -1;
    private bool _busy;
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
            _timer = new Timer(_ => Tick(), null, Interval, Interval);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _timer?.Dispose();

    private void Tick()
    {
        bool dropped = TrimIfDropped();
        long allocated = GC.GetTotalAllocatedBytes(precise: false);
        if (dropped)
        {
            // Just collected: the load before it is given back too, the next interval starts here.
            _allocated = allocated;
            return;
        }

        TrimIfLoadFell(allocated);
    }

    internal bool TrimIfDropped()
    {
        int open = Volatile.Read(ref _open);
        int peak = Volatile.Read(ref _peak);
        if (peak - open < MinimumDrop || open > peak / 2)
        {
            return false;
        }

        Volatile.Write(ref _peak, open);
        Trim("connections");
        return true;
    }

    /// <summary>
    /// Called every interval with the GC's count of bytes allocated so far: after an interval of load (at least
    /// <see cref="BusyBytes"/>), the first near-idle interval (under <see cref="QuietBytes"/>) gives back what the load
    /// left committed: the GC's grown budgets and the garbage it had no reason to collect, the arenas' free pages.
    /// Once per fall; steady load, a steady trickle and idle never trim.
    /// </summary>
    internal bool TrimIfLoadFell(long allocatedBytes)
    {
        long interval = _allocated < 0 ? 0 : allocatedBytes - _allocated;
        _allocated = allocatedBytes;
        if (interval >= BusyBytes)
        {
            _busy = true;
            return false;
        }

        if (!_busy || interval >= QuietBytes)
        {
            return false;
        }

        Trim("load");
        return true;
    }

    private void Trim(string fall)
    {
        _busy = false;
        long before = GC.GetGCMemoryInfo().TotalCommittedBytes;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        if (NativeMemoryTuning.TrimFreedMemory())
        {
            Trims++;
        }

        LogTrimmed(logger, fall, Math.Round(before / 1048576.0, 1), Math.Round(GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0, 1));
    }

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "Memory: {GcMode} GC, gen0 budget at most {Gen0BudgetMB} MB, malloc arenas {MallocArenas}.")]
    private static partial void LogMemorySettings(ILogger logger, string gcMode, double gen0BudgetMB, string mallocArenas);

    [LoggerMessage(EventId = 51, Level = LogLevel.Information, Message = "Memory given back after a fall of {Fall}: managed heap committed {BeforeMB} -> {AfterMB} MB, malloc trimmed.")]
    private static partial void LogTrimmed(ILogger logger, string fall, double beforeMB, double afterMB);
}
