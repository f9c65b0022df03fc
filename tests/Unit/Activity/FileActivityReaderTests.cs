using CasbCore.Activity;
using CsCheck;

namespace CasbModule.Tests.Activity;

/// <summary>
/// The file reader against the plain definition of a query (every record, filtered, newest first by time, of equal
/// times the later written; fewer records than the reorder window per file): the block index and reading backwards may only make it read less, never return other records.
/// </summary>
public sealed class FileActivityReaderTests : IDisposable
{
    private static readonly DateTimeOffset Day = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Apps = ["Mail", "Files", "Wiki"];
    private static readonly string[] Users = ["alice@contoso.com", "bob@contoso.com", "vendor@fabrikam.com"];
    private static readonly string[] Actions = ["Allow", "Block", "Monitor"];

    private readonly string _directory = Directory.CreateTempSubdirectory("casb-reader-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Any_query_over_any_log_returns_what_filtering_every_record_returns_whatever_the_index_holds()
    {
        Gen.Select(Gen.Int, Gen.Int[1, 6], Gen.Int[0, 3]).Sample((seed, blockLines, damage) =>
        {
            var random = new Random(seed);
            string folder = Directory.CreateDirectory(Path.Combine(_directory, Guid.NewGuid().ToString("N"))).FullName;
            try
            {
                // Records out of time order (requests finish in another order than they start), over three days.
                var records = Enumerable.Range(0, random.Next(0, 60)).Select(i => Day.AddMinutes(random.Next(0, 3 * 24 * 60)).AddTicks(random.Next())).Select(at => new ActivityRecord
                {
                    Time = at,
                    CorrelationId = Guid.CreateVersion7(at).ToString("N"),
                    App = Apps[random.Next(Apps.Length)],
                    User = Users[random.Next(Users.Length)],
                    Action = Actions[random.Next(Actions.Length)],
                    FileDirection = random.Next(4) switch { 0 => "Download", 1 => "Upload", _ => null },
                    CertificateThumbprint = random.Next(2) == 0 ? null : "AB" + random.Next(3),
                    HttpStatus = 200,
                }).ToList();
                using (var sink = new FileActivitySink(folder, null, blockLines))
                {
                    foreach (var chunk in records.Chunk(random.Next(1, 8)))
                    {
                        sink.WriteBatch(chunk.ToList());
                    }
                }

                Damage(folder, damage, random);
                ActivityQuery query = RandomQuery(random, records);
                var expected = records
                    .Select((r, i) => (Record: r, Order: i))
                    .Where(x => query.Matches(x.Record))
                    .OrderByDescending(x => DateOnly.FromDateTime(x.Record.Time.UtcDateTime))
                    .ThenByDescending(x => x.Record.Time)
                    .ThenByDescending(x => x.Order)
                    .Select(x => x.Record.CorrelationId);
                if (query.First > 0)
                {
                    expected = expected.Take(query.First);
                }

                Assert.Equal(expected.ToList(), new FileActivityReader(folder).Read(query).Select(r => r.CorrelationId).ToList());
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }, iter: 300);
    }

    [Fact]
    public void Newest_first_reads_the_end_of_the_newest_file_and_a_correlation_id_reads_the_blocks_around_its_time()
    {
        var records = Enumerable.Range(0, 30_000).Select(i =>
        {
            DateTimeOffset at = Day.AddSeconds(i);
            return new ActivityRecord
            {
                Time = at, CorrelationId = Guid.CreateVersion7(at).ToString("N"), App = "Mail", User = $"user{i % 50}@contoso.com",
                Action = "Allow", HttpStatus = 200, Path = "/assets/" + new string('x', 200),
            };
        }).ToList();
        using (var sink = new FileActivitySink(_directory, "edge"))
        {
            foreach (var chunk in records.Chunk(4096))
            {
                sink.WriteBatch(chunk.ToList());
            }
        }

        long size = new FileInfo(Path.Combine(_directory, "activity-20260301.edge.jsonl")).Length;
        Assert.True(size > 8_000_000, $"the log is {size} bytes");

        var newest = new FileActivityReader(_directory);
        Assert.Equal(
            records.AsEnumerable().Reverse().Take(5).Select(r => r.CorrelationId),
            newest.Read(new ActivityQuery { First = 5 }).Select(r => r.CorrelationId));
        // The last records, and the reorder window before them: a few chunks of a file of megabytes.
        Assert.True(newest.BytesRead <= 4 * 64 * 1024, $"-First 5 read {newest.BytesRead} bytes");

        ActivityRecord wanted = records[12_345];
        var lookup = new FileActivityReader(_directory);
        Assert.Equal(wanted.App, Assert.Single(lookup.Read(new ActivityQuery { CorrelationId = wanted.CorrelationId.ToUpperInvariant() })).App);
        Assert.True(lookup.BytesRead < size / 20, $"the lookup read {lookup.BytesRead} of {size} bytes");

        // An id that is not there costs the same few blocks.
        var missing = new FileActivityReader(_directory);
        Assert.Empty(missing.Read(new ActivityQuery { CorrelationId = Guid.CreateVersion7(wanted.Time).ToString("N") }));
        Assert.True(missing.BytesRead < size / 20, $"the missed lookup read {missing.BytesRead} of {size} bytes");
    }

    [Fact]
    public void A_log_without_an_index_and_ids_that_carry_no_time_are_still_found()
    {
        var at = Day.AddHours(5);
        using (var sink = new FileActivitySink(_directory, null, 2))
        {
            sink.WriteBatch(Enumerable.Range(0, 9).Select(i => new ActivityRecord { Time = at.AddMinutes(i), CorrelationId = "legacy" + i, Action = "Allow" }).ToList());
        }

        File.Delete(Path.Combine(_directory, "activity-20260301.jsonl.idx"));
        Assert.Equal("legacy4", Assert.Single(new FileActivityReader(_directory).Read(new ActivityQuery { CorrelationId = "LEGACY4" })).CorrelationId);
        Assert.Equal(new[] { "legacy8", "legacy7" }, new FileActivityReader(_directory).Read(new ActivityQuery { First = 2 }).Select(r => r.CorrelationId));
    }

    [Fact]
    public void A_line_without_the_list_fields_reads_back_with_empty_lists_as_the_record_type_promises()
    {
        File.WriteAllText(Path.Combine(_directory, "activity-20260301.jsonl"),
            "{\"time\":\"2026-03-01T10:00:00Z\",\"correlationId\":\"s1\",\"kind\":\"SignIn\",\"action\":\"\"}\n");

        ActivityRecord record = Assert.Single(new FileActivityReader(_directory).Read(new ActivityQuery()));
        Assert.Empty(record.DeviceTags);
        Assert.Empty(record.MatchedPolicies);
        Assert.Empty(record.ConditionalAccess);
        Assert.Equal(ActivityKind.SignIn, ActivityQuery.KindOf(record));
    }

    [Theory]
    [InlineData("mail", "Mail", true)]
    [InlineData("M*", "Mail", true)]
    [InlineData("M?il", "mail", true)]
    [InlineData("[fm]*", "Files", true)]
    [InlineData("[fm]*", "Wiki", false)]
    [InlineData("a`*b", "a*b", true)]
    [InlineData("a`*b", "axb", false)]
    [InlineData("(x)+.", "(X)+.", true)]
    [InlineData("*", null, true)]
    [InlineData("Mail", null, false)]
    public void Patterns_match_as_PowerShell_wildcards_do(string pattern, string? value, bool matches) =>
        Assert.Equal(matches, new ActivityPattern(pattern).IsMatch(value));

    private static void Damage(string folder, int damage, Random random)
    {
        foreach (string index in Directory.GetFiles(folder, "*.idx"))
        {
            switch (damage)
            {
                case 1:
                    File.Delete(index);
                    break;
                case 2:
                    // A crash in the middle of an entry.
                    using (var stream = new FileStream(index, FileMode.Open))
                    {
                        stream.SetLength(Math.Max(0, stream.Length - random.Next(1, 40)));
                    }

                    break;
                case 3:
                    // A crash after the lines: a torn last line and an unindexed tail.
                    File.AppendAllText(index[..^ActivityLogIndex.Extension.Length], "{\"time\":\"2026-03-0");
                    break;
            }
        }
    }

    private static ActivityQuery RandomQuery(Random random, List<ActivityRecord> records)
    {
        DateTimeOffset? Time() => random.Next(3) == 0 ? null : Day.AddMinutes(random.Next(-60, 3 * 24 * 60 + 60));
        string? id = random.Next(4) switch
        {
            0 when records.Count > 0 => records[random.Next(records.Count)].CorrelationId,
            1 => Guid.CreateVersion7(Day.AddHours(random.Next(72))).ToString("N"),
            _ => null,
        };
        return new ActivityQuery
        {
            After = Time(),
            Before = Time(),
            App = random.Next(3) == 0 ? new ActivityPattern(random.Next(2) == 0 ? "mail" : "*i*") : null,
            User = random.Next(3) == 0 ? new ActivityPattern("*@contoso.com") : null,
            Device = random.Next(4) == 0 ? new ActivityPattern("ab1") : null,
            Actions = random.Next(3) == 0 ? new HashSet<string> { Actions[random.Next(Actions.Length)] } : null,
            Kinds = random.Next(3) == 0 ? new HashSet<ActivityKind> { (ActivityKind)random.Next(3) } : null,
            CorrelationId = id,
            First = random.Next(3) == 0 ? random.Next(1, 5) : 0,
        };
    }
}
