using CasbCore.Activity;
using CsCheck;

namespace CasbModule.Tests.Postgres;

/// <summary>PostgreSQL activity on a real (throwaway) server: COPY batches from several replicas, filters in SQL, partitions.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresActivityTests(PostgresFixture postgres)
{
    private static readonly DateTimeOffset Day = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Apps = ["Mail", "Files", "Wiki"];
    private static readonly string[] Users = ["alice@contoso.com", "bob@contoso.com", "vendor@fabrikam.com"];
    private static readonly string[] Actions = ["Allow", "Block", "Monitor"];

    [Fact]
    public async Task Three_replicas_write_one_table_and_any_query_returns_what_filtering_every_record_returns()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresActivityTests));
        var random = new Random(12);
        var written = new List<ActivityRecord>();
        foreach (string gateway in new[] { "edge-1", "edge-2", "edge-3" })
        {
            await using var pump = new ActivityPump(new PostgresActivitySink(uri));
            for (int i = 0; i < 400; i++)
            {
                DateTimeOffset at = Day.AddSeconds(random.Next(0, 3 * 86_400)).AddTicks(random.Next(10_000) * 10);
                var record = new ActivityRecord
                {
                    Time = at,
                    CorrelationId = Guid.CreateVersion7(at).ToString("N"),
                    Gateway = gateway,
                    App = Apps[random.Next(Apps.Length)],
                    User = random.Next(5) == 0 ? null : Users[random.Next(Users.Length)],
                    Action = Actions[random.Next(Actions.Length)],
                    FileDirection = random.Next(5) == 0 ? "Download" : null,
                    CertificateThumbprint = random.Next(2) == 0 ? null : "AB" + random.Next(3),
                    CertificateSubject = random.Next(2) == 0 ? null : "CN=Laptop " + random.Next(3),
                    HttpStatus = 200,
                };
                written.Add(record);
                pump.Write(record);
            }
        }

        var reader = new PostgresActivityReader(uri);
        var all = reader.Read(new ActivityQuery()).ToList();
        Assert.Equal(written.Count, all.Count);
        Assert.Equal(written.Select(r => r.CorrelationId).Order(), all.Select(r => r.CorrelationId).Order());
        Assert.Equal(400, all.Count(r => r.Gateway == "edge-2"));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Time >= p.Second.Time), "newest first");
        Assert.Equal(3, int.Parse(postgres.Cluster.Sql(DatabaseOf(uri), "select count(*) from pg_inherits i join pg_class p on p.oid = i.inhparent where p.relname = 'casb_activity'")));

        for (int q = 0; q < 60; q++)
        {
            ActivityQuery query = RandomQuery(random, written);
            var expected = written.Where(query.Matches).OrderByDescending(r => r.Time).Select(r => r.CorrelationId).ToList();
            var actual = reader.Read(query).Select(r => r.CorrelationId).ToList();
            if (query.First > 0)
            {
                Assert.Equal(expected.Take(query.First), actual);
            }
            else
            {
                Assert.Equal(expected.Order(), actual.Order());
            }
        }
    }

    [Fact]
    public void Retention_drops_whole_day_partitions()
    {
        string uri = postgres.CreateStoreUri("activity_retention");
        using (var sink = new PostgresActivitySink(uri))
        {
            sink.WriteBatch(Enumerable.Range(0, 5).Select(d => new ActivityRecord
            {
                Time = Day.AddDays(d).AddHours(3), CorrelationId = "day" + d, Action = "Allow",
            }).ToList());
        }

        using var connection = new Npgsql.NpgsqlConnection(PostgresActivity.ConnectionString(uri));
        connection.Open();
        IReadOnlyList<string> dropped = PostgresActivity.DropExpired(connection, 2, Day.AddDays(4).AddHours(12));

        Assert.Equal(new[] { "casb_activity_20260301", "casb_activity_20260302", "casb_activity_20260303" }, dropped.Order());
        Assert.Equal(new[] { "day4", "day3" }, new PostgresActivityReader(uri).Read(new ActivityQuery()).Select(r => r.CorrelationId));
    }

    [Fact]
    public async Task The_database_stopped_and_started_again_loses_nothing_and_writes_nothing_twice()
    {
        string uri = postgres.CreateStoreUri("activity_outage");
        var failures = 0;
        await using (var pump = new ActivityPump(new PostgresActivitySink(uri), 10_000, _ => failures++, retryInterval: TimeSpan.FromMilliseconds(200)))
        {
            for (int i = 0; i < 50; i++)
            {
                pump.Write(Record(i));
            }

            await WaitForAsync(() => pump.Written == 50);

            // The throwaway cluster runs with synchronous_commit off: without a checkpoint an immediate stop would lose
            // commits it has acknowledged, which a production server (synchronous_commit on) never does.
            postgres.Cluster.Sql(DatabaseOf(uri), "CHECKPOINT");
            postgres.Cluster.Stop();
            try
            {
                for (int i = 50; i < 300; i++)
                {
                    pump.Write(Record(i));
                }

                await WaitForAsync(() => pump.FailingReason is not null);
                Assert.Contains("activity sink 'postgresql' failing", pump.FailingReason);
            }
            finally
            {
                postgres.Cluster.Restart();
            }

            await WaitForAsync(() => pump.Written == 300, seconds: 30);
            Assert.Null(pump.FailingReason);
            Assert.Equal(0, pump.DroppedQueueFull + pump.DroppedSinkFailing);
        }

        Assert.Equal(1, failures);
        var ids = new PostgresActivityReader(uri).Read(new ActivityQuery()).Select(r => r.CorrelationId).ToList();
        Assert.Equal(300, ids.Count);
        Assert.Equal(300, ids.Distinct().Count());

        static ActivityRecord Record(int i) => new() { Time = Day.AddSeconds(i), CorrelationId = "r" + i, Action = "Allow", Gateway = "edge-1" };
    }

    [Theory]
    [InlineData("COMMIT", 1)] // committed, the answer lost: the retry must not write the batch again
    [InlineData("COMMIT", 2)] // the answers of two commits lost
    [InlineData("COPY", 1)] // cut before the commit: the batch died with the connection and must be written by the retry
    [InlineData("COPY", 3)]
    public async Task A_batch_whose_answer_is_lost_is_kept_exactly_once(string tag, int cuts)
    {
        string database = DatabaseOf(postgres.CreateStoreUri("activity_cut_" + tag));
        using var proxy = new CommitCuttingProxy(postgres.Cluster.Port);
        string throughProxy = $"postgresql://{PostgresCluster.User}@127.0.0.1:{proxy.Port}/{database}";
        await using (var pump = new ActivityPump(new PostgresActivitySink(throughProxy), 10_000, retryInterval: TimeSpan.FromMilliseconds(50)))
        {
            // Three rounds, so that a lost answer hits the first batch on a connection and later ones.
            for (int round = 0; round < 3; round++)
            {
                int before = proxy.Cuts;
                proxy.CutNext(tag, cuts);
                for (int i = 0; i < 40; i++)
                {
                    pump.Write(Record(round * 40 + i));
                }

                await WaitForAsync(() => pump.Written == (round + 1) * 40 && pump.FailingReason is null, seconds: 20);
                Assert.Equal((round + 1) * 40, pump.Written);
                Assert.True(proxy.Cuts > before, $"round {round}: the proxy cut no {tag} answer");
            }
        }

        Assert.Equal("120|120", postgres.Cluster.Sql(database, "select count(*) || '|' || count(distinct correlation_id) from casb_activity").Trim());

        static ActivityRecord Record(int i) => new() { Time = Day.AddSeconds(i).AddTicks(7), CorrelationId = "c" + i, Action = "Allow", Gateway = "edge-1" };
    }

    [Fact]
    public async Task A_gateway_with_activity_database_writes_each_request_to_the_table_with_its_name_and_says_degraded_while_it_is_down()
    {
        string uri = postgres.CreateStoreUri("activity_gateway");
        await using var harness = await Gateway.GatewayHarness.StartAsync(activityDatabase: uri);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        var ids = new List<string>();
        for (int i = 0; i < 20; i++)
        {
            using HttpResponseMessage response = await client.GetAsync($"/page/{i}");
            response.EnsureSuccessStatusCode();
            ids.Add(response.Headers.GetValues("X-Casb-Correlation-Id").Single());
        }

        var reader = new PostgresActivityReader(uri);
        for (int i = 0; i < 100 && reader.Read(new ActivityQuery()).Count() < ids.Count; i++)
        {
            await Task.Delay(50);
        }

        List<ActivityRecord> records = reader.Read(new ActivityQuery()).ToList();
        Assert.Equal(ids.Order(), records.Select(r => r.CorrelationId).Order());
        Assert.All(records, r => Assert.Equal("test", r.Gateway));
        Assert.Equal(ids[7], Assert.Single(reader.Read(new ActivityQuery { CorrelationId = ids[7] })).CorrelationId);
        Assert.False(Directory.Exists(harness.Store.ActivityDirectory) && Directory.EnumerateFiles(harness.Store.ActivityDirectory, "*.jsonl").Any());

        // The database goes away: enforcement goes on, /readyz says why, and the records arrive when it is back.
        postgres.Cluster.Stop();
        string? late;
        try
        {
            using HttpResponseMessage during = await client.GetAsync("/during-outage");
            Assert.Equal(200, (int)during.StatusCode);
            late = during.Headers.GetValues("X-Casb-Correlation-Id").Single();
            string ready = "";
            for (int i = 0; i < 100 && !ready.Contains("degraded", StringComparison.Ordinal); i++)
            {
                ready = await client.GetStringAsync("/readyz");
                await Task.Delay(50);
            }

            Assert.Contains("degraded: activity sink 'postgresql' failing", ready);
        }
        finally
        {
            postgres.Cluster.Restart();
        }

        for (int i = 0; i < 200 && !reader.Read(new ActivityQuery { CorrelationId = late }).Any(); i++)
        {
            await Task.Delay(50);
        }

        Assert.Single(reader.Read(new ActivityQuery { CorrelationId = late }));
        string after = "degraded";
        for (int i = 0; i < 40 && after.Contains("degraded", StringComparison.Ordinal); i++)
        {
            after = await client.GetStringAsync("/readyz");
            await Task.Delay(50);
        }

        Assert.StartsWith("Ready: revision", after);
        Assert.DoesNotContain("degraded", after);
    }

    [Fact]
    public async Task A_filter_finds_what_the_file_reader_finds_whatever_the_case_of_letters_beyond_ASCII()
    {
        // The engine's filters ignore case as .NET does (É is é); the database's ILIKE folds letters as its locale says
        // (only A-Z under the C locale, the test cluster's and a common server default).
        string uri = postgres.CreateStoreUri(nameof(A_filter_finds_what_the_file_reader_finds_whatever_the_case_of_letters_beyond_ASCII));
        ActivityRecord[] written =
        [
            new() { Time = Day.AddHours(1), CorrelationId = "e1", App = "Café Wiki", User = "Émile@contoso.com", Action = "Allow", HttpStatus = 200 },
            new() { Time = Day.AddHours(2), CorrelationId = "e2", App = "CAFÉ WIKI", User = "ÉMILE@CONTOSO.COM", Action = "Allow", HttpStatus = 200 },
            new() { Time = Day.AddHours(3), CorrelationId = "a1", App = "Mail", User = "alice@contoso.com", Action = "Allow", HttpStatus = 200 },
            new() { Time = Day.AddHours(4), CorrelationId = "m1", App = "M\ud83d\ude00il", User = "alice@contoso.com", Action = "Allow", HttpStatus = 200 },
        ];
        await using (var pump = new ActivityPump(new PostgresActivitySink(uri)))
        {
            foreach (ActivityRecord record in written)
            {
                pump.Write(record);
            }
        }

        var reader = new PostgresActivityReader(uri);
        foreach (ActivityQuery query in new ActivityQuery[]
        {
            new() { User = new ActivityPattern("émile@contoso.com") },
            new() { User = new ActivityPattern("émile@*") },
            new() { App = new ActivityPattern("café wiki") },
            new() { App = new ActivityPattern("CAFé*"), First = 1 },
            new() { User = new ActivityPattern("ALICE@contoso.com"), First = 1 },
            new() { App = new ActivityPattern("M?il"), First = 1 },
        })
        {
            Assert.Equal(
                written.Where(query.Matches).OrderByDescending(r => r.Time).Take(query.First > 0 ? query.First : int.MaxValue).Select(r => r.CorrelationId),
                reader.Read(query).Select(r => r.CorrelationId));
        }
    }

    /// <summary>
    /// A column keeps microseconds, a record's time 100 ns ticks: replicas' records within one microsecond must come newest
    /// first by their own time, and a page after them (-Before the last one's Time, -First) must find each record once.
    /// </summary>
    [Fact]
    public void Records_within_one_microsecond_come_newest_first_and_page_by_their_own_time()
    {
        string uri = postgres.CreateStoreUri("activity_microsecond");
        DateTimeOffset at = Day.AddHours(1);
        ActivityRecord[] written =
        [
            new() { Time = at.AddTicks(3), CorrelationId = "a", Action = "Allow", Gateway = "edge-1" },
            new() { Time = at.AddTicks(6), CorrelationId = "b", Action = "Allow", Gateway = "edge-2" },
            new() { Time = at.AddTicks(-4), CorrelationId = "c", Action = "Allow", Gateway = "edge-1" },
            new() { Time = at.AddTicks(9), CorrelationId = "d", Action = "Allow", Gateway = "edge-3" },
            new() { Time = at.AddTicks(13), CorrelationId = "e", Action = "Allow", Gateway = "edge-2" },
        ];
        using (var sink = new PostgresActivitySink(uri))
        {
            sink.WriteBatch([.. written]);
        }

        var reader = new PostgresActivityReader(uri);
        Assert.Equal(["e", "d", "b", "a", "c"], reader.Read(new ActivityQuery()).Select(r => r.CorrelationId));
        foreach (int first in new[] { 1, 2, 3 })
        {
            var paged = new List<string>();
            DateTimeOffset? before = null;
            for (int page = 0; page < 10; page++)
            {
                ActivityRecord[] records = reader.Read(new ActivityQuery { Before = before, First = first }).ToArray();
                if (records.Length == 0)
                {
                    break;
                }

                paged.AddRange(records.Select(r => r.CorrelationId!));
                before = records[^1].Time;
            }

            Assert.Equal(["e", "d", "b", "a", "c"], paged);
        }

        // -After and -Before any tick inside the microsecond: what filtering every record returns.
        for (int tick = -5; tick <= 14; tick++)
        {
            var query = new ActivityQuery { After = at.AddTicks(tick) };
            Assert.Equal(written.Where(query.Matches).OrderByDescending(r => r.Time).Select(r => r.CorrelationId), reader.Read(query).Select(r => r.CorrelationId));
            query = new ActivityQuery { Before = at.AddTicks(tick) };
            Assert.Equal(written.Where(query.Matches).OrderByDescending(r => r.Time).Select(r => r.CorrelationId), reader.Read(query).Select(r => r.CorrelationId));
        }
    }

    [Theory]
    [InlineData("CN=Laptop\u0000.evil")]
    [InlineData("CN=Laptop\ud800")]
    public void A_record_with_text_a_database_column_cannot_hold_is_kept_with_the_records_of_its_batch(string subject)
    {
        // A client certificate's subject is whatever the client wrote (a NUL in a UTF8String, a lone surrogate in a
        // BMPString), and it is logged for an untrusted certificate too: text columns cannot hold a NUL or a lone surrogate.
        string uri = postgres.CreateStoreUri("activity_unstorable");
        using (var sink = new PostgresActivitySink(uri))
        {
            sink.WriteBatch(
            [
                new ActivityRecord { Time = Day.AddHours(1), CorrelationId = "before", Action = "Allow", HttpStatus = 200 },
                new ActivityRecord
                {
                    Time = Day.AddHours(2), CorrelationId = "odd", Action = "Block", HttpStatus = 403, App = subject, User = subject,
                    CertificateSubject = subject, CertificateThumbprint = subject, Gateway = subject,
                },
            ]);
        }

        var reader = new PostgresActivityReader(uri);
        Assert.Equal(["odd", "before"], reader.Read(new ActivityQuery()).Select(r => r.CorrelationId));
        Assert.Equal("odd", Assert.Single(reader.Read(new ActivityQuery { Device = new ActivityPattern("CN=Laptop*") })).CorrelationId);
        Assert.Equal("odd", Assert.Single(reader.Read(new ActivityQuery { User = new ActivityPattern(subject) })).CorrelationId);
    }

    /// <summary>
    /// The characters beyond ASCII that the engine matches to an ASCII letter, by wildcard or exactly: only the Kelvin
    /// sign, by wildcard (what <see cref="PostgresActivityReader"/> folds before ILIKE). A runtime whose case tables add
    /// one fails here.
    /// </summary>
    [Fact]
    public void The_Kelvin_sign_is_the_one_character_beyond_ASCII_the_engine_matches_to_an_ASCII_letter()
    {
        var found = new List<string>();
        var wildcards = "abcdefghijklmnopqrstuvwxyz".ToDictionary(c => c, c => new ActivityPattern(c + "*"));
        for (int c = 0x80; c <= 0xFFFF; c++)
        {
            if (char.IsSurrogate((char)c))
            {
                continue;
            }

            string value = ((char)c).ToString();
            foreach ((char letter, ActivityPattern wildcard) in wildcards)
            {
                if (wildcard.IsMatch(value))
                {
                    found.Add($"U+{c:X4} by wildcard ~ {letter}");
                }

                if (new ActivityPattern(letter.ToString()).IsMatch(value))
                {
                    found.Add($"U+{c:X4} exactly ~ {letter}");
                }
            }
        }

        Assert.Equal(["U+212A by wildcard ~ k"], found);
    }

    [Fact]
    public void Any_text_and_any_wildcard_find_in_the_database_what_the_engine_finds()
    {
        // Neighbours of what ILIKE and a text column treat differently from the engine: NUL, lone surrogates, LIKE's own
        // metacharacters, wildcard characters, and the Kelvin sign, which the engine's wildcards fold to k.
        string uri = postgres.CreateStoreUri("activity_text_property");
        const string Alphabet = "aAkK\u212a\u0000\ud800\udc00%_\\*? ";
        Gen<string> text = Gen.String[Gen.Char[Alphabet], 0, 4];
        var random = new Random(7);
        string Text() => new(Enumerable.Range(0, random.Next(5)).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray());
        var records = Enumerable.Range(0, 200)
            .Select(i => new ActivityRecord
            {
                Time = Day.AddSeconds(i), CorrelationId = "r" + i, Action = "Allow", HttpStatus = 200,
                App = i == 0 ? "\ud800\udc00" : Text(), User = Text(), CertificateSubject = Text(), CertificateThumbprint = Text(),
            })
            .ToList();
        using (var sink = new PostgresActivitySink(uri))
        {
            sink.WriteBatch(records.ToList());
        }

        // The same records in a log folder: what Get-CasbActivity finds there, the database must find.
        string folder = Directory.CreateTempSubdirectory("casb-activity-").FullName;
        using (var sink = new FileActivitySink(folder, null))
        {
            sink.WriteBatch(records.ToList());
        }

        var reader = new PostgresActivityReader(uri);
        var files = new FileActivityReader(folder);

        // The case a random run found once in a while: ?? is two UTF-16 units, and U+10000 is two units but one code point.
        var pair = new ActivityQuery { App = new ActivityPattern("??") };
        int expected = records.Count(r => pair.App!.IsMatch(r.App));
        Assert.True(expected > 0, "the records hold an app of two units that is one code point beyond the BMP");
        Assert.Equal(files.Read(pair).Select(r => r.Time), reader.Read(pair).Select(r => r.Time));
        // And CI's draw (seed 5iJCW5lNVpXz): "?*?" is that one code point too, the * matching nothing between its halves.
        var apart = new ActivityQuery { App = new ActivityPattern("?*?") };
        Assert.Contains(reader.Read(apart), r => r.App == "\ud800\udc00");
        Assert.Equal(files.Read(apart).Select(r => r.Time), reader.Read(apart).Select(r => r.Time));

        Gen.Select(Gen.Int[0, 2], text, Gen.Int[0, 3]).Sample((field, pattern, first) =>
        {
            var wildcard = new ActivityPattern(pattern);
            var query = field switch
            {
                0 => new ActivityQuery { App = wildcard, First = first },
                1 => new ActivityQuery { User = wildcard, First = first },
                _ => new ActivityQuery { Device = wildcard, First = first },
            };
            Assert.Equal(files.Read(query).Select(r => r.Time), reader.Read(query).Select(r => r.Time));
        }, iter: 300);
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData("mail", "mail")]
    [InlineData("M*", "M%")]
    [InlineData("M?il", "M_il")]
    [InlineData("??", "_%")] // two UTF-16 units may be one code point beyond the BMP
    [InlineData("a???b*", "a__%b%")]
    [InlineData("?*?", "_%")] // a * between ? may match nothing: still two units, one code point at the least
    [InlineData("*?*?*", "_%")]
    [InlineData("a?*?*b", "a_%b")]
    [InlineData("?a?", "_a_")]
    [InlineData("50%_off\\", "50\\%\\_off\\\\")]
    [InlineData("[fm]*", null)]
    [InlineData("a`*", null)]
    [InlineData("émile*", null)]
    [InlineData("Caf\u00e9", null)]
    public void Wildcards_become_ILIKE_patterns_only_when_ILIKE_means_the_same(string wildcard, string? like) =>
        Assert.Equal(like, PostgresActivityReader.Like(wildcard));

    [Fact]
    public void Reading_takes_no_lock_that_waits_for_a_replica_in_the_middle_of_a_batch()
    {
        string uri = postgres.CreateStoreUri("activity_reader_lock");
        using (var sink = new PostgresActivitySink(uri))
        {
            sink.WriteBatch([new ActivityRecord { Time = Day.AddHours(1), CorrelationId = "kept", Action = "Block", Gateway = "edge-1" }]);
        }

        // A replica's batch holds the table's row-exclusive lock until it commits (COPY in a transaction).
        using var replica = new Npgsql.NpgsqlConnection(PostgresActivity.ConnectionString(uri));
        replica.Open();
        using Npgsql.NpgsqlTransaction batch = replica.BeginTransaction();
        using (var insert = new Npgsql.NpgsqlCommand(
            "INSERT INTO casb_activity (time, correlation_id, action, kind, record) VALUES ('2026-03-01T02:00:00Z', 'open', 'Allow', 'Access', '{}')", replica, batch))
        {
            insert.ExecuteNonQuery();
        }

        // A reader that waited for that lock (the schema's CREATE INDEX IF NOT EXISTS takes a share lock before it looks)
        // fails here after 2 s instead of hanging as long as the batch runs.
        string withLockTimeout = PostgresActivity.ConnectionString(uri) + ";Options=-c lock_timeout=2000";
        var found = new PostgresActivityReader(withLockTimeout).Read(new ActivityQuery { Actions = new HashSet<string> { "Block" } }).ToList();

        Assert.Equal("kept", Assert.Single(found).CorrelationId);
        batch.Rollback();
    }

    [Fact]
    public void Writing_a_batch_allocates_nothing_per_record()
    {
        string uri = postgres.CreateStoreUri("activity_allocations");
        using var sink = new PostgresActivitySink(uri);
        List<ActivityRecord> Batch(int start) => Enumerable.Range(start, 2000).Select(i => new ActivityRecord
        {
            Time = Day.AddMilliseconds(i), CorrelationId = Guid.CreateVersion7(Day.AddMilliseconds(i)).ToString("N"), Action = "Allow",
            Gateway = "edge-1", App = "Mail", User = "alice@contoso.com", CertificateThumbprint = "AB12", CertificateSubject = "CN=Laptop 1",
            Path = "/mail/inbox", UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/131.0", HttpStatus = 200, MatchedPolicies = ["Allow managed devices"],
        }).ToList();

        sink.WriteBatch(Batch(0)); // the connection, the schema, the partition, Npgsql's converters
        List<ActivityRecord> batch = Batch(2000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        sink.WriteBatch(batch);
        long perRecord = (GC.GetAllocatedBytesForCurrentThread() - before) / 2000;

        // Serializing each record to a string cost 951 bytes a record here (its UTF-16 text); what is left is per batch.
        Assert.True(perRecord < 64, $"{perRecord} bytes allocated per record");
        Assert.Equal("4000", postgres.Cluster.Sql(DatabaseOf(uri), "select count(*) from casb_activity").Trim());
    }

    [Fact]
    public void A_reader_whose_pooled_connections_a_restart_closed_reads_on_a_new_one()
    {
        string uri = postgres.CreateStoreUri("activity_reader_restart");
        using (var sink = new PostgresActivitySink(uri))
        {
            sink.WriteBatch([new ActivityRecord { Time = Day, CorrelationId = "before", Action = "Allow" }]);
        }

        var reader = new PostgresActivityReader(uri);
        Assert.Single(reader.Read(new ActivityQuery())); // leaves an idle connection in the pool
        postgres.Cluster.Stop();
        postgres.Cluster.Restart();

        Assert.Equal("before", Assert.Single(reader.Read(new ActivityQuery())).CorrelationId);
    }

    /// <summary>
    /// Records written before user names were canonical, or by another writer, name a user in any spelling (case, NFC or
    /// NFD, fullwidth letters): -User finds them as the engine compares names (UserNames.Comparer), in the database as in
    /// a log folder, exactly (with -First, which the database answers with LIMIT) and with a wildcard. Generated
    /// spellings of a few names, every one written to both stores; each sample queries with one spelling.
    /// </summary>
    [Fact]
    public void A_user_filter_finds_the_records_of_every_spelling_of_the_user_in_both_stores()
    {
        string[] names = ["jos\u00e9@contoso.com", "john@contoso.com", "\u00e5sa@contoso.com"];
        var records = new List<ActivityRecord>();
        for (int n = 0; n < names.Length; n++)
        {
            for (int how = 0; how < 16; how++)
            {
                DateTimeOffset at = Day.AddMinutes(n * 16 + how);
                records.Add(new ActivityRecord
                {
                    Time = at, CorrelationId = Guid.CreateVersion7(at).ToString("N"), App = "Mail", Action = "Allow", HttpStatus = 200,
                    User = CasbModule.Tests.Activity.ActivitySummarizerTests.Spell(names[n], how),
                });
            }
        }

        string uri = postgres.CreateStoreUri("activity_spellings");
        using (var sink = new PostgresActivitySink(uri))
        {
            sink.WriteBatch(records.ToList());
        }

        string folder = Directory.CreateTempSubdirectory("casb-activity-").FullName;
        using (var sink = new FileActivitySink(folder, null))
        {
            sink.WriteBatch(records.ToList());
        }

        var reader = new PostgresActivityReader(uri);
        var files = new FileActivityReader(folder);
        try
        {
            Gen.Select(Gen.Int[0, names.Length - 1], Gen.Int[0, 15], Gen.Int[0, 3], Gen.Int[0, 20]).Sample((n, how, form, first) =>
            {
                // The pattern as Get-CasbActivity reads -User: in canonical form.
                string user = CasbCore.SignIn.UserNames.Canonical(CasbModule.Tests.Activity.ActivitySummarizerTests.Spell(names[n], how));
                string at = user[user.IndexOf('@')..];
                string pattern = form switch { 0 => user, 1 => user[..2] + "*" + at, 2 => "*" + at, _ => user[..^at.Length] + "*" };
                var query = new ActivityQuery { User = new ActivityPattern(pattern), First = first };
                // What the pattern means, said without wildcards: the canonical user, ignoring case, whole or by its ends.
                Func<string, bool> means = form switch
                {
                    0 => u => CasbCore.SignIn.UserNames.Comparer.Equals(u, user),
                    1 => u => u.StartsWith(user[..2], StringComparison.OrdinalIgnoreCase) && u.EndsWith(at, StringComparison.OrdinalIgnoreCase),
                    2 => u => u.EndsWith(at, StringComparison.OrdinalIgnoreCase),
                    _ => u => u.StartsWith(user[..^at.Length], StringComparison.OrdinalIgnoreCase),
                };
                string[] expected = records
                    .Where(r => means(CasbCore.SignIn.UserNames.Canonical(r.User!)))
                    .OrderByDescending(r => r.Time).Take(first > 0 ? first : int.MaxValue).Select(r => r.CorrelationId).ToArray();
                Assert.Equal(expected, files.Read(query).Select(r => r.CorrelationId).ToArray());
                Assert.Equal(expected, reader.Read(query).Select(r => r.CorrelationId).ToArray());
            }, iter: 300);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // Gateways, a Get-CasbActivity and a Summary writer that meet a fresh database at one moment each create the table,
    // and replicas each create a new day's partition at midnight: PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe
    // against itself (two creators both see no table, and the second fails on pg_type's unique index, 23505, or with
    // 42P07), which failed a CI run when the gateway's sink and a reader met. Each round: a fresh database, eight
    // connections that create the schema and a day's partition at once; every one must succeed and find the table.
    [Fact]
    public async Task Replicas_meeting_a_fresh_database_at_one_moment_all_create_its_table_and_partitions()
    {
        for (int round = 0; round < 6; round++)
        {
            string connectionString = PostgresActivity.ConnectionString(postgres.CreateStoreUri("activity_race"));
            var day = DateOnly.FromDateTime(Day.UtcDateTime).AddDays(round);
            using var start = new Barrier(8);
            Task[] creators = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            {
                using var connection = new Npgsql.NpgsqlConnection(connectionString);
                connection.Open();
                start.SignalAndWait();
                PostgresActivity.EnsureSchema(connection);
                PostgresActivity.EnsurePartition(connection, day);
            })).ToArray();
            await Task.WhenAll(creators);

            using var check = new Npgsql.NpgsqlConnection(connectionString);
            check.Open();
            using var partitions = new Npgsql.NpgsqlCommand($"SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = '{PostgresActivity.Table}'", check);
            Assert.Equal(1L, partitions.ExecuteScalar());
        }
    }

    private static string DatabaseOf(string uri) => new Uri(uri).AbsolutePath.TrimStart('/');

    private static async Task WaitForAsync(Func<bool> condition, int seconds = 10)
    {
        for (int i = 0; i < seconds * 20 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }

    private static ActivityQuery RandomQuery(Random random, List<ActivityRecord> records)
    {
        DateTimeOffset? Time() => random.Next(3) == 0 ? null : Day.AddMinutes(random.Next(-60, 3 * 24 * 60 + 60));
        return new ActivityQuery
        {
            After = Time(),
            Before = Time(),
            App = random.Next(3) == 0 ? new ActivityPattern(random.Next(3) switch { 0 => "mail", 1 => "*i*", _ => "[fw]*" }) : null,
            User = random.Next(3) == 0 ? new ActivityPattern(random.Next(2) == 0 ? "*@contoso.com" : "") : null,
            Device = random.Next(4) == 0 ? new ActivityPattern(random.Next(2) == 0 ? "ab1" : "*laptop 2") : null,
            Actions = random.Next(3) == 0 ? new HashSet<string> { Actions[random.Next(Actions.Length)] } : null,
            Kinds = random.Next(3) == 0 ? new HashSet<ActivityKind> { (ActivityKind)random.Next(2) } : null,
            CorrelationId = random.Next(4) == 0 ? records[random.Next(records.Count)].CorrelationId.ToUpperInvariant() : null,
            First = random.Next(3) == 0 ? random.Next(1, 20) : 0,
        };
    }
}
