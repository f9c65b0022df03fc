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
}
