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
}
