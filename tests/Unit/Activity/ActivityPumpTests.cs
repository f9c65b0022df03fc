using CasbCore.Activity;

namespace CasbModule.Tests.Activity;

public sealed class ActivityPumpTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// A steady trickle of records (one a millisecond, as a busy gateway's requests) reaches a default-sized queue's sink
    /// in gathered batches, not one wake and one write per record, and every record arrives, in order.
    /// </summary>
    [Fact]
    public async Task A_trickle_of_records_is_written_in_gathered_batches_and_none_is_lost()
    {
        var sink = new CountingSink();
        var pump = new ActivityPump(sink);
        for (int i = 0; i < 200; i++)
        {
            pump.Write(new ActivityRecord { Time = Start, CorrelationId = "r" + i, Action = "Allow" });
            Thread.Sleep(1);
        }

        await pump.DisposeAsync();
        Assert.Equal(Enumerable.Range(0, 200).Select(i => "r" + i), sink.Records.Select(r => r.CorrelationId));
        // Without gathering, about one batch per record (the thread wakes for each); with it, one per 20 ms.
        Assert.True(sink.Batches <= 60, $"{sink.Batches} batches for 200 records");
    }

    /// <summary>A small queue is drained as records come: gathering would let it overflow and drop them.</summary>
    [Fact]
    public async Task A_small_queue_is_not_gathered_and_drops_nothing_under_a_trickle()
    {
        var sink = new CountingSink();
        var pump = new ActivityPump(sink, capacity: 3);
        for (int i = 0; i < 50; i++)
        {
            pump.Write(new ActivityRecord { Time = Start, CorrelationId = "r" + i, Action = "Allow" });
            Thread.Sleep(2);
        }

        await pump.DisposeAsync();
        Assert.Equal(0, pump.DroppedQueueFull);
        Assert.Equal(50, sink.Records.Count);
    }

    private sealed class CountingSink : IActivitySink
    {
        public string Name => "counting";

        public List<ActivityRecord> Records { get; } = new();

        public int Batches { get; private set; }

        public void WriteBatch(List<ActivityRecord> batch)
        {
            Batches++;
            Records.AddRange(batch);
        }

        public void Dispose()
        {
        }
    }
}
