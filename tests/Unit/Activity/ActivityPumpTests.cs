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

    /// <summary>
    /// A small queue is drained as records come: gathering would let it overflow and drop them. (Asserted on the pump's
    /// mode, not by a timed trickle: on a loaded machine a 3-record queue overflows under any trickle whenever the pump's
    /// thread is not scheduled for a few milliseconds, gathering or not.)
    /// </summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(9_999, false)]
    [InlineData(10_000, true)]
    [InlineData(ActivityPump.DefaultCapacity, true)]
    public async Task Only_a_queue_of_10000_records_or_more_is_gathered(int capacity, bool gathers)
    {
        var sink = new CountingSink();
        var pump = new ActivityPump(sink, capacity);
        Assert.Equal(gathers, pump.Gathers);
        pump.Write(new ActivityRecord { Time = Start, CorrelationId = "r0", Action = "Allow" });
        await pump.DisposeAsync();
        Assert.Equal(0, pump.DroppedQueueFull);
        Assert.Single(sink.Records);
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
