using System.Text;
using System.Text.Json;

namespace CasbCore.Activity;

/// <summary>
/// Reads the daily files of one activity folder, newest first: the newest day first, and each file from its end
/// backwards in chunks, so <c>-First 5</c> reads the last few kilobytes. The block index of each file
/// (<see cref="ActivityLogIndex"/>) skips the blocks outside the query's time range; a correlation id carries its
/// request's start time, so a lookup reads the one or two blocks written around it. Records come newest first by time:
/// within a file through a reorder window of <see cref="ReorderWindow"/> records (records are written when their request
/// finishes), and files of one day are merged by time.
/// </summary>
public sealed class FileActivityReader : IActivityReader
{
    private const int ChunkSize = 64 * 1024;

    /// <summary>
    /// Records are written when their request finishes, stamped with when it started: a short request that started
    /// after a long one is written first. Reading backwards, a record is held until this many later-read (older-written)
    /// records have been seen, and the held ones leave newest first, so any two records written less than this many
    /// records apart come out in time order.
    /// </summary>
    internal const int ReorderWindow = 256;

    private readonly string _directory;
    private long _bytesRead;

    public FileActivityReader(string directory) => _directory = directory;

    /// <summary>Bytes read from log files by this reader so far: what the index and reading from the end save.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public IEnumerable<ActivityRecord> Read(ActivityQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        int returned = 0;
        foreach (ActivityRecord record in ReadAll(query))
        {
            yield return record;
            if (query.First > 0 && ++returned >= query.First)
            {
                yield break;
            }
        }
    }

    private IEnumerable<ActivityRecord> ReadAll(ActivityQuery query)
    {
        if (!Directory.Exists(_directory))
        {
            yield break;
        }

        DateTimeOffset? from = query.From, until = query.Until;
        if (from is { } f && until is { } u && f >= u)
        {
            yield break;
        }

        DateOnly? firstDay = from is { } a ? DateOnly.FromDateTime(a.UtcDateTime) : null;
        DateOnly? lastDay = until is { } b ? DateOnly.FromDateTime(b.UtcDateTime) : null;
        var days = Directory.EnumerateFiles(_directory, "activity-*.jsonl")
            .Select(file => (File: file, Day: ActivityLog.DayOf(file)))
            .Where(file => file.Day is { } day && (firstDay is null || day >= firstDay) && (lastDay is null || day <= lastDay))
            .GroupBy(file => file.Day!.Value)
            .OrderByDescending(group => group.Key);

        LinePrefilter prefilter = LinePrefilter.For(query);
        foreach (var day in days)
        {
            var files = day.Select(file => ReadFile(file.File, query, prefilter).GetEnumerator()).ToList();
            try
            {
                foreach (ActivityRecord record in Merge(files))
                {
                    yield return record;
                }
            }
            finally
            {
                foreach (var file in files)
                {
                    file.Dispose();
                }
            }
        }
    }

    // The files of one day (one per gateway), newest first by time.
    private static IEnumerable<ActivityRecord> Merge(List<IEnumerator<ActivityRecord>> files)
    {
        if (files.Count == 1)
        {
            while (files[0].MoveNext())
            {
                yield return files[0].Current;
            }

            yield break;
        }

        var heads = new PriorityQueue<IEnumerator<ActivityRecord>, long>();
        foreach (var file in files)
        {
            if (file.MoveNext())
            {
                heads.Enqueue(file, -file.Current.Time.UtcTicks);
            }
        }

        while (heads.TryDequeue(out var file, out _))
        {
            yield return file.Current;
            if (file.MoveNext())
            {
                heads.Enqueue(file, -file.Current.Time.UtcTicks);
            }
        }
    }

    private IEnumerable<ActivityRecord> ReadFile(string path, ActivityQuery query, LinePrefilter prefilter)
    {
        // Newest time first; of two records with the same time, the one written later.
        var held = new PriorityQueue<ActivityRecord, (long Ticks, long Read)>(
            Comparer<(long Ticks, long Read)>.Create((a, b) => a.Ticks != b.Ticks ? b.Ticks.CompareTo(a.Ticks) : a.Read.CompareTo(b.Read)));
        long read = 0;
        foreach (ActivityRecord record in ReadFileBackwards(path, query, prefilter))
        {
            held.Enqueue(record, (record.Time.UtcTicks, read++));
            if (held.Count > ReorderWindow)
            {
                yield return held.Dequeue();
            }
        }

        while (held.TryDequeue(out ActivityRecord? record, out _))
        {
            yield return record;
        }
    }

    private IEnumerable<ActivityRecord> ReadFileBackwards(string path, ActivityQuery query, LinePrefilter prefilter)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.RandomAccess);
        }
        catch (FileNotFoundException)
        {
            // Deleted by retention while we were listing.
            yield break;
        }

        using (stream)
        {
            // What is there now: lines the gateway appends meanwhile are for the next query.
            long length = stream.Length;
            List<ActivityLogIndex.Block> blocks = ActivityLogIndex.Cover(ActivityLogIndex.ReadValid(ActivityLogIndex.PathOf(path), length), length);
            DateTimeOffset? from = query.From, until = query.Until;
            byte[] buffer = new byte[ChunkSize];
            for (int i = blocks.Count - 1; i >= 0; i--)
            {
                if (!blocks[i].Meets(from, until))
                {
                    continue;
                }

                foreach (ActivityRecord record in ReadBackwards(stream, blocks[i].Start, blocks[i].End, query, prefilter, buffer))
                {
                    yield return record;
                }
            }
        }
    }

    // The lines of [start, end) from the last to the first, in chunks; a line longer than a chunk grows the buffer.
    private IEnumerable<ActivityRecord> ReadBackwards(FileStream stream, long start, long end, ActivityQuery query, LinePrefilter prefilter, byte[] buffer)
    {
        long position = end;
        int carry = 0; // bytes at the front of buffer: the start of a line that begins in an earlier chunk
        while (position > start)
        {
            int n = (int)Math.Min(ChunkSize, position - start);
            if (buffer.Length < n + carry)
            {
                Array.Resize(ref buffer, Math.Max(buffer.Length * 2, n + carry));
            }

            Buffer.BlockCopy(buffer, 0, buffer, n, carry);
            position -= n;
            stream.Position = position;
            stream.ReadExactly(buffer, 0, n);
            Interlocked.Add(ref _bytesRead, n);

            int lineEnd = n + carry;
            for (int i = lineEnd - 1; i >= 0; i--)
            {
                if (buffer[i] == (byte)'\n')
                {
                    if (Parse(buffer.AsSpan(i + 1, lineEnd - i - 1), query, prefilter) is { } record)
                    {
                        yield return record;
                    }

                    lineEnd = i;
                }
            }

            carry = lineEnd;
        }

        if (carry > 0 && Parse(buffer.AsSpan(0, carry), query, prefilter) is { } first)
        {
            yield return first;
        }
    }

    private static ActivityRecord? Parse(ReadOnlySpan<byte> line, ActivityQuery query, LinePrefilter prefilter)
    {
        if (line.IsEmpty || !prefilter.MayMatch(line))
        {
            return null;
        }

        ActivityRecord? record;
        try
        {
            // Not the compile-time context: it sets an init property missing from the line (a sign-in record has no
            // deviceTags) to null instead of leaving its initializer's value.
            record = JsonSerializer.Deserialize<ActivityRecord>(line, ActivityLog.SerializerOptions);
        }
        catch (JsonException)
        {
            // A torn or foreign line: a reader never fails on one bad line.
            return null;
        }

        return record is not null && query.Matches(record) ? record : null;
    }

    /// <summary>
    /// A byte search that rules lines out before they are parsed: a line without the correlation id's characters is not
    /// its record. Ids are written as the gateway made them (lower-case hex); the case-insensitive comparison happens on
    /// the parsed record.
    /// </summary>
    private sealed class LinePrefilter
    {
        private readonly byte[][] _any;

        private LinePrefilter(byte[][] any) => _any = any;

        public static LinePrefilter For(ActivityQuery query) => query.CorrelationId is { } id
            ? new LinePrefilter(new[] { id, id.ToLowerInvariant(), id.ToUpperInvariant() }.Distinct().Select(Encoding.UTF8.GetBytes).ToArray())
            : new LinePrefilter(Array.Empty<byte[]>());

        public bool MayMatch(ReadOnlySpan<byte> line)
        {
            if (_any.Length == 0)
            {
                return true;
            }

            foreach (byte[] needle in _any)
            {
                if (line.IndexOf(needle) >= 0)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
