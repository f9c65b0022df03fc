using System.Threading.Channels;

namespace CasbCore.Activity;

/// <summary>
/// The bounded queue in front of one <see cref="IActivitySink"/>: request threads only enqueue; a thread of its own
/// hands the sink batches. While the sink fails, the batch in hand is retried and new records wait in the queue;
/// a record the full queue cannot take is counted by reason (<see cref="DroppedQueueFull"/> while the sink keeps up
/// but is slower than the traffic, <see cref="DroppedSinkFailing"/> while it fails), never silently lost. Recovery
/// needs nothing but the sink working again.
/// </summary>
public sealed class ActivityPump : IAsyncDisposable
{
    public const int DefaultCapacity = 100_000;

    /// <summary>The largest queue a gateway takes: every queued record is an object in memory.</summary>
    public const int MaxCapacity = 10_000_000;
    private const int MaxBatch = 4096;

    /// <summary>
    /// How long the thread gathers records after a batch that emptied the queue, rather than waking for each record:
    /// every wake costs the request that queued the record a futex call and this thread a context switch and a write.
    /// Only for queues of <see cref="GatherMinimumCapacity"/> records or more, which 20 ms cannot fill below 500,000
    /// records a second; a small queue (a test's, or an admin's choice) is drained record by record as before.
    /// </summary>
    private static readonly TimeSpan GatherInterval = TimeSpan.FromMilliseconds(20);

    private const int GatherMinimumCapacity = 10_000;

    private readonly Channel<ActivityRecord> _channel;
    private readonly IActivitySink _sink;
    private readonly Action<Exception>? _onFailing;
    private readonly Action<TimeSpan>? _onRecovered;
    private readonly Action<string>? _onRefusing;
    private readonly TimeSpan _retryInterval;
    private readonly bool _gather;
    private readonly Thread _thread;
    // Waited on only to sleep (the gather interval, a failing sink's rest) unless the pump is stopping: no spinning first.
    // With the default spin count the wait spun with sched_yield before it slept, 50 times a second at Full volume: 15-25 us
    // of CPU per gather, about 15% of the pump thread's samples (docs/benchmarks.md, "Seventh pass: the gateway's CPU per
    // request ... Full").
    private readonly ManualResetEventSlim _stopping = new(initialState: false, spinCount: 0);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _droppedQueueFull;
    private long _droppedSinkFailing;
    private long _droppedShutdown;
    private long _written;
    private volatile string? _failingReason;
    private volatile string? _refusingReason;
    private volatile bool _abandoned;
    private DateTimeOffset _failingSince;

    /// <param name="sink">Where the records go; the pump owns and disposes it.</param>
    /// <param name="capacity">Records the queue holds before it drops.</param>
    /// <param name="onFailing">Called once when the sink starts failing (not for every retry).</param>
    /// <param name="onRecovered">Called when the sink works again, with how long it failed.</param>
    /// <param name="retryInterval">How long a failing sink rests before the next try (1 s by default).</param>
    /// <param name="onRefusing">Called once when the receiving end starts refusing records (<see cref="IActivitySink.Refused"/>), with why.</param>
    public ActivityPump(
        IActivitySink sink, int capacity = DefaultCapacity, Action<Exception>? onFailing = null, Action<TimeSpan>? onRecovered = null,
        TimeSpan? retryInterval = null, Action<string>? onRefusing = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _sink = sink;
        Capacity = capacity;
        _onFailing = onFailing;
        _onRecovered = onRecovered;
        _onRefusing = onRefusing;
        _retryInterval = retryInterval ?? TimeSpan.FromSeconds(1);
        _gather = capacity >= GatherMinimumCapacity;
        _channel = Channel.CreateBounded<ActivityRecord>(
            // Wait, not DropWrite: with DropWrite TryWrite says true for a record it drops, and the drop would go uncounted.
            new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

        // Sink writes block (files, sockets): on a thread-pool thread they would hold a worker for every batch under steady
        // load and make the pool inject threads. One thread of its own instead.
        _thread = new Thread(Run) { IsBackground = true, Name = $"Casb activity ({sink.Name})" };
        _thread.Start();
    }

    public string SinkName => _sink.Name;

    /// <summary>Records the queue holds before it drops.</summary>
    public int Capacity { get; }

    /// <summary>Whether the thread gathers records for a while after a batch that emptied the queue (large queues only).</summary>
    internal bool Gathers => _gather;

    /// <summary>Dropped because the queue was full while the sink was working (it cannot keep up with the traffic).</summary>
    public long DroppedQueueFull => Interlocked.Read(ref _droppedQueueFull);

    /// <summary>Dropped because the queue was full while the sink was failing.</summary>
    public long DroppedSinkFailing => Interlocked.Read(ref _droppedSinkFailing);

    /// <summary>Dropped at shutdown because the sink was still failing.</summary>
    public long DroppedShutdown => Interlocked.Read(ref _droppedShutdown);

    /// <summary>Records the receiving end refused for good after taking them (<see cref="IActivitySink.Rejected"/>).</summary>
    public long DroppedRejected => _sink.Rejected;

    /// <summary>Records the receiving end refused with an answer that says not to retry (<see cref="IActivitySink.Refused"/>).</summary>
    public long DroppedNotRetryable => _sink.Refused;

    /// <summary>Records the sink has kept.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records waiting in the queue.</summary>
    public int Queued => _channel.Reader.Count;

    /// <summary>Why the sink fails right now, or null while it works.</summary>
    public string? FailingReason => _failingReason;

    /// <summary>Why the receiving end refused the last batch's records (dropped, not retried), or null once a batch went through whole.</summary>
    public string? RefusingReason => _refusingReason;

    /// <summary>Queues a record; never blocks the request.</summary>
    public void Write(ActivityRecord record)
    {
        if (!_channel.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref (_failingReason is null ? ref _droppedQueueFull : ref _droppedSinkFailing));
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));

    /// <summary>
    /// Stops: the records queued still go to the sink until <paramref name="giveUp"/> (the host's shutdown timeout) is
    /// cancelled; then the sink's write in flight is ended (<see cref="IActivitySink.Abandon"/>) and every record still
    /// held is counted in <see cref="DroppedShutdown"/>, rather than a slow sink holding the process until it is killed.
    /// </summary>
    public async Task StopAsync(CancellationToken giveUp)
    {
        _channel.Writer.TryComplete();
        _stopping.Set();
        try
        {
            await _stopped.Task.WaitAsync(giveUp).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
        {
            _abandoned = true;
            _sink.Abandon();
            await _stopped.Task.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private void Run()
    {
        ChannelReader<ActivityRecord> reader = _channel.Reader;
        var batch = new List<ActivityRecord>(MaxBatch);
        try
        {
            // Blocking on the channel is fine here: this thread does nothing else.
            while (batch.Count > 0 || reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                // A batch the sink failed is retried as it is: new records wait in the queue, whose bound is the memory bound.
                while (batch.Count == 0 || (batch.Count < MaxBatch && _failingReason is null))
                {
                    if (!reader.TryRead(out ActivityRecord? record))
                    {
                        break;
                    }

                    batch.Add(record);
                }

                int gathered = batch.Count;
                if (TryWrite(batch))
                {
                    if (_abandoned)
                    {
                        CountShutdownLoss(batch, reader);
                        return;
                    }

                    if (_gather && gathered < MaxBatch)
                    {
                        _stopping.Wait(GatherInterval); // returns at once when stopping: the rest is drained then
                    }
                }
                else if (!Rest())
                {
                    // Stopping while the sink fails: one last try (unless the stop waits no longer), then every record still held is counted.
                    if (_abandoned || !TryWrite(batch))
                    {
                        CountShutdownLoss(batch, reader);
                        return;
                    }
                }
            }
        }
        finally
        {
            try
            {
                _sink.Dispose();
            }
            catch (Exception)
            {
                // Disposing a failed sink can fail again; its records were counted already.
            }

            _stopped.TrySetResult();
        }
    }

    private void CountShutdownLoss(List<ActivityRecord> batch, ChannelReader<ActivityRecord> reader)
    {
        long left = batch.Count;
        while (reader.TryRead(out _))
        {
            left++;
        }

        Interlocked.Add(ref _droppedShutdown, left);
    }

    private bool TryWrite(List<ActivityRecord> batch)
    {
        if (batch.Count == 0)
        {
            return true;
        }

        int count = batch.Count;
        long refusedBefore = _sink.Refused;
        long rejectedBefore = _sink.Rejected;
        try
        {
            _sink.WriteBatch(batch);
            // Records the receiver refused, with a status or in a partial success, are counted as dropped, not as written.
            Interlocked.Add(ref _written, count - Refusals(refusedBefore, succeeded: true) - (_sink.Rejected - rejectedBefore));
            batch.Clear();
            if (_failingReason is not null)
            {
                _failingReason = null;
                _onRecovered?.Invoke(DateTimeOffset.UtcNow - _failingSince);
            }

            return true;
        }
        catch (Exception ex)
        {
            // The pump must survive anything: a dead pump would silently drop every later record.
            Interlocked.Add(ref _written, count - batch.Count - Refusals(refusedBefore, succeeded: false) - (_sink.Rejected - rejectedBefore));
            if (_failingReason is null)
            {
                _failingSince = DateTimeOffset.UtcNow;
                _failingReason = $"activity sink '{_sink.Name}' failing since {_failingSince:yyyy-MM-ddTHH:mm:ssZ}: {OneLine(ex.Message)}";
                _onFailing?.Invoke(ex);
            }

            return false;
        }
    }

    /// <summary>
    /// Records the sink refused during the last WriteBatch (counted by the sink, not written). Sets or clears the refusing
    /// reason: set while batches lose records that way, cleared by the first that goes through losing none.
    /// </summary>
    private long Refusals(long refusedBefore, bool succeeded)
    {
        long refused = _sink.Refused - refusedBefore;
        if (refused > 0)
        {
            bool starting = _refusingReason is null;
            _refusingReason = $"activity sink '{_sink.Name}' refused at {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}: {OneLine(_sink.LastRefusal ?? "records were refused")}";
            if (starting)
            {
                _onRefusing?.Invoke(_refusingReason);
            }
        }
        else if (succeeded && _refusingReason is not null)
        {
            _refusingReason = null;
        }

        return refused;
    }

    /// <summary>Waits the retry interval; false when the pump is stopping.</summary>
    private bool Rest() => !_stopping.Wait(_retryInterval);

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
