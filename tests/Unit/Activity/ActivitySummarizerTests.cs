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

    /// <summary>
    /// TryCountRepeat first tries the session its thread counted into last (compared by key), then the dictionary. Its
    /// neighbours: the same strings as objects or as equal copies, two summarizers on one thread, sessions flushed out
    /// as idle and begun again, requests of users, apps and devices interleaved: the records written must be those of
    /// TryCount alone, and the Summary counts plus the verbatim records must equal the requests of each key.
    /// </summary>
    [Fact]
    public void Counting_through_the_threads_last_session_writes_the_same_records_for_any_sequence_over_two_summarizers()
    {
        string[] users = ["u0", "u1", ""];
        string[] apps = ["a0", "a1"];
        string[] devices = ["0123456789ABCDEF0123456789ABCDEF01234567", "d1"];
        Gen.Select(Gen.Int, Gen.Int[1, 500]).Sample((seed, count) =>
        {
            var random = new Random(seed);
            var reference = new[] { new ActivitySummarizer(), new ActivitySummarizer() };
            var keyFirst = new[] { new ActivitySummarizer(), new ActivitySummarizer() };
            var expected = new[] { new List<ActivityRecord>(), new List<ActivityRecord>() };
            var actual = new[] { new List<ActivityRecord>(), new List<ActivityRecord>() };
            var sent = new[] { new List<ActivityRecord>(), new List<ActivityRecord>() };
            int repeats = 0;
            DateTimeOffset at = Start;
            // Copies with the same characters: a key's strings are not always the same objects (a certificate's thumbprint
            // read again, a user name from a header).
            string Pick(string[] pool) => random.Next(4) == 0 ? new string(pool[random.Next(pool.Length)].AsSpan()) : pool[random.Next(pool.Length)];
            for (int i = 0; i < count; i++)
            {
                // Runs of one key, as a keep-alive connection sends them, broken by other keys, pauses and idle gaps.
                at += random.Next(30) == 0 ? TimeSpan.FromMinutes(31) : TimeSpan.FromMilliseconds(random.Next(0, 20_000));
                int s = random.Next(5) == 0 ? 1 : 0;
                var record = new ActivityRecord
                {
                    Time = at.AddMilliseconds(-random.Next(0, 65_000)),
                    CorrelationId = "r" + i,
                    User = random.Next(6) == 0 ? null : Pick(users),
                    App = Pick(apps),
                    CertificateThumbprint = random.Next(5) == 0 ? null : Pick(devices),
                    Action = random.Next(10) == 0 ? "Block" : "Allow",
                    Error = random.Next(20) == 0 ? "upstream_failed" : null,
                    Bytes = random.Next(3) == 0 ? null : random.Next(0, 5000),
                    Revision = random.Next(1, 4),
                };
                sent[s].Add(record);
                if (!reference[s].TryCount(record))
                {
                    expected[s].Add(record);
                }

                bool counted = ActivitySummarizer.IsFoldable(record)
                    && keyFirst[s].TryCountRepeat(record.User, record.App, record.CertificateThumbprint, record.Time, record.Bytes, record.Revision);
                repeats += counted ? 1 : 0;
                if (!counted && !keyFirst[s].TryCount(record))
                {
                    actual[s].Add(record);
                }

                if (random.Next(8) == 0)
                {
                    expected[s].AddRange(reference[s].Flush(at));
                    actual[s].AddRange(keyFirst[s].Flush(at));
                }
            }

            for (int s = 0; s < 2; s++)
            {
                expected[s].AddRange(reference[s].Flush(at, all: true));
                actual[s].AddRange(keyFirst[s].Flush(at, all: true));
                Assert.Equal(expected[s].Select(Comparable), actual[s].Select(Comparable));
                var requestsByKey = sent[s].GroupBy(Key).ToDictionary(g => g.Key, g => g.Count());
                var accountedByKey = actual[s].GroupBy(Key).ToDictionary(g => g.Key, g => g.Sum(r => r.Count ?? 1));
                Assert.Equal(requestsByKey.OrderBy(k => k.Key), accountedByKey.OrderBy(k => k.Key));
            }

            Assert.True(repeats <= count);
        });
    }

    /// <summary>
    /// A summary groups by the user as the engine compares names (<see cref="CasbCore.SignIn.UserNames.Comparer"/>): the
    /// requests of one user, app and device in one minute are one session and one Summary record whichever spelling each
    /// request's user had (case, NFC or NFD, fullwidth letters), counted both by record (TryCount) and by key
    /// (TryCountRepeat), and the Summary names the user as its first request did. Generated spellings of a few names.
    /// </summary>
    [Fact]
    public void Requests_of_one_user_in_other_spellings_are_one_session_and_one_summary()
    {
        Gen<string> spelling = Gen.Int[0, Names.Length - 1].SelectMany(n => Gen.Int[0, 15].Select(how => Spell(Names[n], how)));
        Gen.Select(spelling.Array[3, 40], Gen.Bool.Array[40]).Sample((users, byKey) =>
        {
            var summarizer = new ActivitySummarizer();
            var kept = new List<ActivityRecord>();
            for (int i = 0; i < users.Length; i++)
            {
                var record = new ActivityRecord { Time = Start.AddSeconds(i), CorrelationId = "r" + i, User = users[i], App = "Mail", CertificateThumbprint = "d1", Action = "Allow", Bytes = 1 };
                bool counted = byKey[i] && summarizer.TryCountRepeat(record.User, record.App, record.CertificateThumbprint, record.Time, record.Bytes, record.Revision);
                if (!counted && !summarizer.TryCount(record))
                {
                    kept.Add(record);
                }
            }

            kept.AddRange(summarizer.Flush(Start, all: true));
            var distinct = users.Distinct(CasbCore.SignIn.UserNames.Comparer).ToList();
            // Each user: its first request verbatim, the rest (if any) in one Summary of that minute.
            Assert.Equal(distinct.Count, kept.Count(r => r.Count is null));
            Assert.True(kept.Count(r => r.Count is not null) <= distinct.Count, $"{kept.Count(r => r.Count is not null)} summaries for {distinct.Count} users: {string.Join(", ", kept.Select(r => r.User))}");
            foreach (string user in distinct)
            {
                var mine = kept.Where(r => CasbCore.SignIn.UserNames.Comparer.Equals(r.User, user)).ToList();
                Assert.Equal(users.Count(u => CasbCore.SignIn.UserNames.Comparer.Equals(u, user)), mine.Sum(r => r.Count ?? 1));
                Assert.All(mine.Where(r => r.Count is not null), s => Assert.Contains(s.User, users));
            }
        });
    }

    private static readonly string[] Names = ["jos\u00e9@contoso.com", "john@contoso.com", "\u00e5sa@contoso.com"];

    /// <summary><paramref name="name"/> (lower case, NFC) in the spelling the bits of <paramref name="how"/> pick: upper case, NFD, fullwidth letters.</summary>
    internal static string Spell(string name, int how)
    {
        string spelled = (how & 1) != 0 ? name.ToUpperInvariant() : (how & 8) != 0 ? char.ToUpperInvariant(name[0]) + name[1..] : name;
        if ((how & 2) != 0)
        {
            spelled = spelled.Replace("\u00e9", "e\u0301").Replace("\u00c9", "E\u0301").Replace("\u00e5", "a\u030a").Replace("\u00c5", "A\u030a");
        }

        if ((how & 4) != 0)
        {
            // Fullwidth: the ASCII letters before the @.
            int at = spelled.IndexOf('@');
            spelled = string.Concat(spelled[..at].Select(c => char.IsAsciiLetter(c) ? (char)(c - 0x21 + 0xFF01) : c)) + spelled[at..];
        }

        return spelled;
    }

    /// <summary>
    /// The CI guard of activity volume Summary's cost: a repeated allowed request of a known session allocates nothing
    /// (no record, no key object, no string) whether its key's strings are the same objects or equal copies.
    /// </summary>
    [Fact]
    public void A_repeated_allowed_request_of_a_known_session_allocates_nothing()
    {
        var summarizer = new ActivitySummarizer();
        const string User = "vendor@contoso.com", App = "Microsoft Online Services", Device = "91D8ED440F168A99480E15402B4A425E9AB6F4AA";
        var first = new ActivityRecord { Time = Start, CorrelationId = "1", User = User, App = App, CertificateThumbprint = Device, Action = "Allow" };
        Assert.False(summarizer.TryCount(first)); // the session's first request: verbatim
        Assert.True(summarizer.TryCount(first with { CorrelationId = "2" })); // opens the minute's Summary
        string deviceCopy = new(Device.AsSpan());
        Assert.True(summarizer.TryCountRepeat(User, App, deviceCopy, Start, 10, 1)); // JIT and the thread's session warmed

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            Assert.True(summarizer.TryCountRepeat(User, App, i % 2 == 0 ? Device : deviceCopy, Start.AddMilliseconds(i % 50_000), 10, 1));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        ActivityRecord summary = Assert.Single(summarizer.Flush(Start, all: true));
        Assert.Equal(10_002, summary.Count);
        Assert.Equal(100_010, summary.Bytes);
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

    private static string Key(ActivityRecord record) => $"{record.User}|{record.App}|{record.CertificateThumbprint}";

    private static ActivityRecord Comparable(ActivityRecord record) => record.Count is null ? record : record with { CorrelationId = "" };
}
