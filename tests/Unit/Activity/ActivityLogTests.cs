using System.Runtime.Versioning;
using CasbCore.Activity;
using CsCheck;

namespace CasbModule.Tests.Activity;

public sealed class ActivityLogTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-activity-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Records_are_read_back_newest_first_across_daily_files_and_gateways()
    {
        var day1 = new DateTimeOffset(2026, 3, 1, 23, 59, 0, TimeSpan.Zero);
        await using (var writer = Writer(_directory, "default"))
        {
            writer.Write(Record(day1, "a"));
            writer.Write(Record(day1.AddMinutes(2), "c"));
        }

        await using (var other = Writer(_directory, "edge 2"))
        {
            other.Write(Record(day1.AddMinutes(1), "b"));
        }

        Assert.True(File.Exists(Path.Combine(_directory, "activity-20260301.jsonl")));
        Assert.True(File.Exists(Path.Combine(_directory, "activity-20260302.jsonl")));
        Assert.True(File.Exists(Path.Combine(_directory, "activity-20260302.edge_00202.jsonl")));
        Assert.Equal(new[] { "c", "b", "a" }, ActivityLog.ReadNewestFirst(_directory).Select(r => r.CorrelationId));
    }

    [UnsupportedOSPlatform("windows")]
    [Fact]
    public void The_activity_folder_files_and_indexes_it_creates_are_readable_by_their_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // Who went where, from which address and device: not for every account on the host, whatever the umask.
        string folder = Path.Combine(_directory, "activity");
        var at = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        using (var sink = new FileActivitySink(folder, "default", blockLines: 1))
        {
            sink.EnsureWritable(at.AddDays(1));
            sink.WriteBatch([Record(at, "a"), Record(at.AddSeconds(1), "b")]);
        }

        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(OwnerOnly | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        string[] files = Directory.GetFiles(folder);
        Assert.Equal(3, files.Length);
        Assert.All(files, file => Assert.Equal(OwnerOnly, File.GetUnixFileMode(file)));
    }

    [Fact]
    public void Two_gateways_whose_names_differ_only_in_a_dot_or_an_underscore_each_keep_every_record()
    {
        // Start-CasbGateway takes both names (^[A-Za-z0-9._-]+$, unique ignoring case) for two gateways on one store.
        var at = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        using (var dotted = new FileActivitySink(_directory, "eu.1"))
        using (var underscored = new FileActivitySink(_directory, "eu_1"))
        {
            dotted.WriteBatch([Record(at, "dot-1")]);
            underscored.WriteBatch([Record(at.AddSeconds(1), "underscore-1")]);
            dotted.WriteBatch([Record(at.AddSeconds(2), "dot-2")]);
            underscored.WriteBatch([Record(at.AddSeconds(3), "underscore-2")]);
        }

        Assert.Equal(
            new[] { "underscore-2", "dot-2", "underscore-1", "dot-1" },
            ActivityLog.ReadNewestFirst(_directory).Select(r => r.CorrelationId));
    }

    [Fact]
    public void Gateway_names_that_may_run_side_by_side_never_share_an_activity_file()
    {
        // Names Start-CasbGateway takes; two of them run side by side unless equal ignoring case (its records). File
        // names must differ ignoring case too: on a case-insensitive file system those are one file.
        var at = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        // A small alphabet, so that neighbours (a dot for an underscore, a case) come up often.
        Gen<string> name = Gen.String[Gen.Char["aA0._-"], 1, 3];
        Gen.Select(name, name).Sample(
            (a, b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase)
                || !string.Equals(ActivityLog.FileName(at, a), ActivityLog.FileName(at, b), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_torn_last_line_is_skipped()
    {
        var at = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        await using (var writer = Writer(_directory, null))
        {
            writer.Write(Record(at, "whole"));
        }

        await File.AppendAllTextAsync(Path.Combine(_directory, "activity-20260301.jsonl"), "{\"time\":\"2026-03-01T10:01:00Z\",\"corre");

        Assert.Equal("whole", Assert.Single(ActivityLog.ReadNewestFirst(_directory)).CorrelationId);
    }

    [Fact]
    public async Task A_file_deleted_under_the_open_writer_is_written_again_at_its_path_and_a_torn_line_is_closed()
    {
        var at = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        string file = Path.Combine(_directory, "activity-20260301.jsonl");
        await using (var writer = Writer(_directory, null))
        {
            writer.Write(Record(at, "first"));
            await WaitForAsync(() => File.Exists(file) && new FileInfo(file).Length > 0);

            // Rotated away, and a torn line left at the path, as a crash of another tool or a restore might leave it.
            File.Delete(file);
            await File.WriteAllTextAsync(file, "{\"time\":\"2026-03-01T10:01:00Z\",\"corre");
            writer.Write(Record(at.AddMinutes(2), "second"));
            writer.Write(Record(at.AddMinutes(3), "third"));
        }

        Assert.Equal(new[] { "third", "second" }, ActivityLog.ReadNewestFirst(_directory).Select(r => r.CorrelationId));
    }

    [Fact]
    public async Task Records_wait_while_the_log_cannot_be_written_and_arrive_once_each_when_it_can()
    {
        string folder = Path.Combine(_directory, "activity");
        await File.WriteAllTextAsync(folder, "");
        int errors = 0;
        TimeSpan? recovered = null;
        var at = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        await using (var pump = new ActivityPump(new FileActivitySink(folder, null), 100, _ => errors++, t => recovered = t, TimeSpan.FromMilliseconds(50)))
        {
            for (int i = 0; i < 3; i++)
            {
                pump.Write(Record(at.AddSeconds(i), "waited" + i));
            }

            await WaitForAsync(() => pump.FailingReason is not null);
            Assert.Contains("activity sink 'file' failing", pump.FailingReason);
            File.Delete(folder);
            pump.Write(Record(at.AddSeconds(3), "kept"));
            await WaitForAsync(() => recovered is not null && pump.Written == 4);
            Assert.Null(pump.FailingReason);
            Assert.Equal(0, pump.DroppedQueueFull + pump.DroppedSinkFailing + pump.DroppedShutdown);
        }

        Assert.Equal(1, errors);
        Assert.Equal(new[] { "kept", "waited2", "waited1", "waited0" }, ActivityLog.ReadNewestFirst(folder).Select(r => r.CorrelationId));
    }

    [Fact]
    public async Task Records_the_full_queue_cannot_take_while_the_log_fails_are_counted_by_reason_and_the_rest_arrive()
    {
        string folder = Path.Combine(_directory, "activity");
        await File.WriteAllTextAsync(folder, "");
        var at = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        await using (var pump = new ActivityPump(new FileActivitySink(folder, null), 10, retryInterval: TimeSpan.FromMilliseconds(50)))
        {
            pump.Write(Record(at, "first"));
            await WaitForAsync(() => pump.FailingReason is not null);

            // The pump holds "first" as its failed batch; the queue takes 10 more and counts the other 5.
            for (int i = 0; i < 15; i++)
            {
                pump.Write(Record(at.AddSeconds(1 + i), "r" + i));
            }

            Assert.Equal(5, pump.DroppedSinkFailing);
            Assert.Equal(0, pump.DroppedQueueFull);
            File.Delete(folder);
            await WaitForAsync(() => pump.Written == 11);
        }

        var ids = ActivityLog.ReadNewestFirst(folder).Select(r => r.CorrelationId).ToList();
        Assert.Equal(11, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal("first", ids[^1]);
    }

    [Fact]
    public async Task A_sink_still_failing_at_shutdown_counts_what_it_held()
    {
        string folder = Path.Combine(_directory, "activity");
        await File.WriteAllTextAsync(folder, "");
        var pump = new ActivityPump(new FileActivitySink(folder, null), 100, retryInterval: TimeSpan.FromMilliseconds(50));
        for (int i = 0; i < 7; i++)
        {
            pump.Write(Record(DateTimeOffset.UtcNow, "lost" + i));
        }

        await WaitForAsync(() => pump.FailingReason is not null);
        await pump.DisposeAsync();
        Assert.Equal(7, pump.DroppedShutdown);
        Assert.Equal(0, pump.Written);
    }

    private static ActivityPump Writer(string directory, string? gatewayName) => new(new FileActivitySink(directory, gatewayName));

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }

    [Fact]
    public void Retention_deletes_only_days_older_than_the_setting()
    {
        foreach (string day in new[] { "20260220", "20260224", "20260225", "20260301" })
        {
            File.WriteAllText(Path.Combine(_directory, $"activity-{day}.jsonl"), "");
        }

        File.WriteAllText(Path.Combine(_directory, "notes.txt"), "");

        var deleted = ActivityLog.DeleteExpired(_directory, 5, new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

        Assert.Equal(new[] { "activity-20260220.jsonl", "activity-20260224.jsonl" }, deleted.Select(Path.GetFileName).Order());
        Assert.True(File.Exists(Path.Combine(_directory, "activity-20260225.jsonl")));
        Assert.True(File.Exists(Path.Combine(_directory, "notes.txt")));
    }

    [Fact]
    public async Task The_writer_writes_each_record_as_one_line_of_the_documented_json()
    {
        // The writer serializes with a compile-time serializer; every other reader and writer uses
        // ActivityLog.SerializerOptions. Records with every optional field empty, set, or holding characters JSON
        // escapes must come out byte for byte the same either way.
        var at = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.FromHours(2));
        ActivityRecord[] records =
        [
            new() { Time = at, CorrelationId = "min", Action = "Block" },
            new()
            {
                Time = at.AddTicks(1234567), CorrelationId = "full", App = "Mail \"EU\" <prod>", Host = "mail.contoso.com", Path = "/a b/ü?x=1&y='2'",
                Method = "POST", User = "vendor@contoso.com", UserSource = "Certificate", SourceIp = "2001:db8::1",
                UserAgent = "Mozilla/5.0 \u0001\t", ClientAppType = "Browser", DeviceTags = ["Valid client certificate", "Compliant"],
                CertificateSubject = "CN=Vendor, O=Fabrikam", CertificateIssuer = "CN=Issuing CA", CertificateThumbprint = "00AA",
                CertificateStatus = "Valid",
                ConditionalAccess = [new ActivityConditionalAccessResult { Policy = "P", Outcome = "Applied", Reason = null }],
                MatchedPolicies = ["One", "Two"], Action = "Allow", BlockingPolicy = "Block \n it", BlockMessage = "Use a company device.",
                HttpStatus = 502, UpstreamLatencyMs = 12.345678901, DecisionLatencyMs = 0.000001, Revision = long.MaxValue, Gateway = "edge 2",
                Error = "Upstream RequestTimedOut: \"x\"",
            },
        ];

        await using (var writer = Writer(_directory, null))
        {
            foreach (ActivityRecord record in records)
            {
                writer.Write(record);
            }
        }

        string[] lines = await File.ReadAllLinesAsync(Path.Combine(_directory, "activity-20260301.jsonl"));
        Assert.Equal(records.Select(r => System.Text.Json.JsonSerializer.Serialize(r, ActivityLog.SerializerOptions)), lines);
    }

    private static ActivityRecord Record(DateTimeOffset at, string id) => new()
    {
        Time = at,
        CorrelationId = id,
        App = "App",
        Action = "Allow",
        HttpStatus = 200,
    };
}
