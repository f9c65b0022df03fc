namespace CasbGateway.Hosting;

/// <summary>
/// Gives the native memory of closed connections back to the system. Each TLS connection holds OpenSSL state and
/// buffers allocated with malloc; glibc keeps what is freed in its arenas for reuse, so after a burst of
/// connections closes, RSS stays at the burst's peak (the benchmark: 255 MB with 1,000 connections, still 255 MB
/// 10 s after they closed). Every few seconds, when the open connections have fallen to half of the peak since the
/// last trim or less (and by a real number), <c>malloc_trim(0)</c> returns the free pages. Never under steady load,
/// when it would only make malloc ask for them again.
/// </summary>
internal sealed class NativeMemoryTrimmer : IHostedService, IDisposable
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
        if (NativeMemoryTuning.TrimFreedMemory())
        {
            Trims++;
        }
    }
}
