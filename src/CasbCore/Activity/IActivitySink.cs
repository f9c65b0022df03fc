namespace CasbCore.Activity;

/// <summary>
/// Where activity records go (the daily files, a collector, a database). The gateway never calls a sink on a request
/// thread: an <see cref="ActivityPump"/> queues the records and hands them over in batches from a thread of its own.
/// </summary>
public interface IActivitySink : IDisposable
{
    /// <summary>A short name for logs, metrics and /readyz ("file", "otlp", "postgresql").</summary>
    string Name { get; }

    /// <summary>
    /// Keeps the records of <paramref name="batch"/>, in order. On failure it throws, after removing from the list the
    /// records it did keep: the pump retries the rest, so no record is written twice and none is skipped.
    /// </summary>
    void WriteBatch(List<ActivityRecord> batch);

    /// <summary>
    /// Records the receiving end took and then refused for good (an OTLP partial success): they count as written, so
    /// this number is where they show, as dropped with reason "rejected". Zero for a sink that keeps all it takes.
    /// </summary>
    long Rejected => 0;

    /// <summary>
    /// Records the receiving end refused with an answer that says not to send them again (OTLP: a 4xx or 5xx other than
    /// 429, 502, 503 and 504). <see cref="WriteBatch"/> removes them from the batch without keeping them: they are dropped,
    /// and this number is where they show, as dropped with reason "not_retryable". Zero for a sink that never refuses.
    /// </summary>
    long Refused => 0;

    /// <summary>
    /// Called from another thread when the gateway stops and waits no longer (its shutdown timeout): ends the write in
    /// flight, whose records not yet kept stay in the batch, and makes every later one fail at once. Nothing for a sink
    /// whose writes are short.
    /// </summary>
    void Abandon()
    {
    }

    /// <summary>Why records were refused the last time (<see cref="Refused"/>), for /readyz and the log; null if never.</summary>
    string? LastRefusal => null;
}
