using CasbCore.Activity;
using CsCheck;

namespace CasbModule.Tests.Activity;

public sealed class ActivitySummarizerTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Every_request_is_either_kept_or_counted_once_and_summaries_never_mix_users_apps_devices_or_minutes()
    {
        Gen.Select(Gen.Int, Gen.Int[1, 300]).Sample((seed, count) =>
        {
            var random = new Random(seed);
            var summarizer = new ActivitySummarizer();
            var kept = new List<ActivityRecord>();
            var sent = new List<ActivityRecord>();
            DateTimeOffset at = Start;
            for (int i = 0; i < count; i++)
            {
                // Mostly seconds apart, now and then a pause longer than a session's idle time.
                at += random.Next(20) == 0 ? TimeSpan.FromMinutes(31) : TimeSpan.FromSeconds(random.Next(0, 40));
                var record = new ActivityRecord
                {
                    Time = at.AddMilliseconds(-random.Next(0, 3000)),
                    CorrelationId = "r" + i,
                    User = "u" + random.Next(3),
                    App = "a" + random.Next(2),
                    CertificateThumbprint = random.Next(3) == 0 ? null : "d" + random.Next(2),
                    Action = random.Next(8) == 0 ? "Block" : "Allow",
                    FileDirection = random.Next(10) == 0 ? "Download" : null,
                    Bytes = random.Next(0, 5000),
                };
                sent.Add(record);
                if (!summarizer.TryCount(record))
                {
                    kept.Add(record);
                }

                if (random.Next(5) == 0)
                {
                    kept.AddRange(summarizer.Flush(at));
                }
            }

            kept.AddRange(summarizer.Flush(at, all: true));

            Assert.Equal(sent.Count, kept.Sum(r => r.Count ?? 1));
            Assert.Equal(sent.Sum(r => r.Bytes), kept.Sum(r => r.Bytes));
            Assert.All(sent.Where(r => r.Action == "Block" || r.FileDirection is not null), r => Assert.Contains(r, kept));
            foreach (ActivityRecord summary in kept.Where(r => r.Count is not null))
            {
                Assert.Equal(summary.Time.UtcTicks / TimeSpan.TicksPerMinute, summary.LastTime!.Value.UtcTicks / TimeSpan.TicksPerMinute);
                Assert.Equal("Allow", summary.Action);
                Assert.Equal(ActivityKind.Summary, ActivityQuery.KindOf(summary));
                Assert.Equal(summary.Time.ToUnixTimeMilliseconds(), ActivityQuery.TimeOfCorrelationId(summary.CorrelationId)!.Value.ToUnixTimeMilliseconds());
            }

            // The first request of each user, app and device is kept as it is.
            foreach (var first in sent.Where(r => r.Action == "Allow" && r.FileDirection is null).GroupBy(r => (r.User, r.App, r.CertificateThumbprint)).Select(g => g.First()))
            {
                Assert.Contains(first, kept);
            }
        });
    }

    /// <summary>
    /// The gateway first offers a request by its key fields alone (TryCountRepeat) and builds its record only when that
    /// says no: the records written must be those of TryCount alone, for any sequence of requests and flushes.
    /// </summary>
    [Fact]
    public void Counting_by_key_first_writes_the_same_records_as_counting_every_record()
    {
        Gen.Select(Gen.Int, Gen.Int[1, 400]).Sample((seed, count) =>
        {
            var random = new Random(seed);
            var reference = new ActivitySummarizer();
            var keyFirst = new ActivitySummarizer();
            var expected = new List<ActivityRecord>();
            var actual = new List<ActivityRecord>();
            int built = 0;
            DateTimeOffset at = Start;
            for (int i = 0; i < count; i++)
            {
                at += random.Next(25) == 0 ? TimeSpan.FromMinutes(31) : TimeSpan.FromSeconds(random.Next(0, 30));
                var record = new ActivityRecord
                {
                    Time = at.AddMilliseconds(-random.Next(0, 70_000)),
                    CorrelationId = "r" + i,
                    User = random.Next(4) == 0 ? null : "u" + random.Next(2),
                    App = "a" + random.Next(2),
                    CertificateThumbprint = random.Next(3) == 0 ? null : "d" + random.Next(2),
                    Action = random.Next(8) == 0 ? "Block" : random.Next(10) == 0 ? "Monitor" : "Allow",
                    FileDirection = random.Next(12) == 0 ? "Upload" : null,
                    Error = random.Next(15) == 0 ? "upstream_failed" : null,
                    Bytes = random.Next(3) == 0 ? null : random.Next(0, 5000),
                    Revision = random.Next(1, 4),
                };

                if (!reference.TryCount(record))
                {
                    expected.Add(record);
                }

                bool counted = ActivitySummarizer.IsFoldable(record)
                    && keyFirst.TryCountRepeat(record.User, record.App, record.CertificateThumbprint, record.Time, record.Bytes, record.Revision);
                if (!counted)
                {
                    built++;
                    if (!keyFirst.TryCount(record))
                    {
                        actual.Add(record);
                    }
                }

                if (random.Next(6) == 0)
                {
                    expected.AddRange(reference.Flush(at));
                    actual.AddRange(keyFirst.Flush(at));
                }
            }

            expected.AddRange(reference.Flush(at, all: true));
            actual.AddRange(keyFirst.Flush(at, all: true));

            // A Summary's own correlation id is made up when it is written (a version-7 UUID of its first time).
            Assert.Equal(expected.Select(Comparable), actual.Select(Comparable));
            Assert.True(built <= count);
        });
    }

    [Fact]
    public async Task Requests_counted_from_many_threads_while_minutes_are_flushed_are_each_counted_once()
    {
        var summarizer = new ActivitySummarizer();
        var written = new System.Collections.Concurrent.ConcurrentQueue<ActivityRecord>();
        const int Threads = 8, PerThread = 20_000;
        int done = 0;
        Task flusher = Task.Run(async () =>
        {
            while (Volatile.Read(ref done) < Threads)
            {
                // The first 10 minutes close while requests for them still come (each then opens its minute again);
                // no session is idle this early, so each user's first request is the one kept verbatim.
                foreach (ActivityRecord r in summarizer.Flush(Start.AddMinutes(10))) { written.Enqueue(r); }
                await Task.Yield();
            }
        });
        Task[] workers = Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                // Two users, one app and device; times spread over 20 minutes (within a session's idle time of each
                // other), so minutes close while requests for them still come.
                var record = new ActivityRecord
                {
                    Time = Start.AddMilliseconds((i * 59L + t * 7L) % (20 * 60_000)),
                    CorrelationId = $"{t}-{i}",
                    User = "u" + (i % 2),
                    App = "a",
                    CertificateThumbprint = "d",
                    Action = "Allow",
                    Bytes = 10,
                };
                if (!summarizer.TryCountRepeat(record.User, record.App, record.CertificateThumbprint, record.Time, record.Bytes, record.Revision)
                    && !summarizer.TryCount(record))
                {
                    written.Enqueue(record);
                }
            }

            Interlocked.Increment(ref done);
        })).ToArray();
        await Task.WhenAll(workers);
        await flusher;
        foreach (ActivityRecord r in summarizer.Flush(Start.AddMinutes(10), all: true)) { written.Enqueue(r); }

        Assert.Equal(Threads * PerThread, written.Sum(r => r.Count ?? 1));
        Assert.Equal(Threads * PerThread * 10L, written.Sum(r => r.Bytes));
        Assert.Equal(2, written.Count(r => r.Count is null));
    }

    private static ActivityRecord Comparable(ActivityRecord record) => record.Count is null ? record : record with { CorrelationId = "" };
}
