using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;

namespace CasbCore.Activity;

/// <summary>
/// Appends activity records to the daily files from one dedicated thread: request threads only enqueue.
/// Each record is serialized into a reused buffer (no per-record arrays) and goes to the file opened for append as one
/// whole-line write; the file is flushed as soon as the queue is drained,
/// so readers see a record within milliseconds and a crash tears at most the last line. Every record that does
/// not reach the file is counted: <see cref="Dropped"/> (queue full) or <see cref="WriteFailed"/> (the file
/// cannot be written).
/// </summary>
public sealed class ActivityLogWriter : IAsyncDisposable
{
    private const int Capacity = 100_000;

    // While the log cannot be written, records are counted as lost without retrying the file system each time.
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private readonly Channel<ActivityRecord> _channel = Channel.CreateBounded<ActivityRecord>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private readonly string _directory;
    private readonly string? _gatewayName;
    private readonly Action<Exception>? _onError;
    private readonly Action<long>? _onRecovered;
    private readonly TimeProvider _time;
    private readonly Thread _pump;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ArrayBufferWriter<byte> _line = new(4096);
    private readonly Utf8JsonWriter _json;
    private FileStream? _file;
    private string? _fileName;
    private DateOnly _fileDay;
    private long _dropped;
    private long _writeFailed;
    private long _unflushed;
    private bool _failing;
    private long _failedAtStart;
    private DateTimeOffset _retryAt;

    /// <param name="directory">The activity folder.</param>
    /// <param name="gatewayName">The gateway's name (part of the file name unless "default").</param>
    /// <param name="onError">Called once when writing starts failing (not for every lost record).</param>
    /// <param name="onRecovered">Called when writing works again, with the number of records lost meanwhile.</param>
    /// <param name="timeProvider">Clock for the retry interval.</param>
    public ActivityLogWriter(
        string directory, string? gatewayName, Action<Exception>? onError = null, Action<long>? onRecovered = null, TimeProvider? timeProvider = null)
    {
        _directory = directory;
        _gatewayName = gatewayName;
        _onError = onError;
        _onRecovered = onRecovered;
        _time = timeProvider ?? TimeProvider.System;
        _json = new Utf8JsonWriter(_line);

        // File writes block: on a thread-pool thread they would hold a worker for every batch under steady load and
        // make the pool inject threads (the soak's thread count rising from 21 to 52). One thread of its own instead.
        _pump = new Thread(Pump) { IsBackground = true, Name = "Casb activity log writer" };
        _pump.Start();
    }

    /// <summary>Records dropped because the queue was full (the disk cannot keep up).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Records lost because the log could not be written (permissions, a full disk, the folder gone).</summary>
    public long WriteFailed => Interlocked.Read(ref _writeFailed);

    /// <summary>Queues a record; never blocks the request.</summary>
    public void Write(ActivityRecord record)
    {
        if (!_channel.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Creates the folder and opens today's file once: throws the IOException or UnauthorizedAccessException a write would meet.</summary>
    public void EnsureWritable()
    {
        Directory.CreateDirectory(_directory);
        using var probe = new FileStream(
            Path.Combine(_directory, ActivityLog.FileName(_time.GetUtcNow(), _gatewayName)),
            FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _stopped.Task.ConfigureAwait(false);
    }

    private void Pump()
    {
        ChannelReader<ActivityRecord> reader = _channel.Reader;
        try
        {
            // Blocking on the channel is fine here: this thread does nothing else.
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                // The pump must survive anything: a dead pump would silently drop every later record.
                ReopenIfReplaced();
                while (reader.TryRead(out ActivityRecord? record))
                {
                    Append(record);
                }

                Flush();
            }
        }
        finally
        {
            CloseFile();
            _stopped.TrySetResult();
        }
    }

    private void Append(ActivityRecord record)
    {
        if (_failing && _time.GetUtcNow() < _retryAt)
        {
            Interlocked.Increment(ref _writeFailed);
            return;
        }

        try
        {
            FileStream file = FileFor(record.Time);
            _line.ResetWrittenCount();
            _json.Reset(_line);
            JsonSerializer.Serialize(_json, record, ActivityJsonContext.Default.ActivityRecord);
            _json.Flush();
            _line.Write("\n"u8);
            file.Write(_line.WrittenSpan);
            _unflushed++;
        }
        catch (Exception ex)
        {
            Fail(ex, pending: 1);
        }
    }

    private void Flush()
    {
        if (_file is null)
        {
            return;
        }

        try
        {
            _file.Flush();
            _unflushed = 0;
            if (_failing)
            {
                _failing = false;
                _onRecovered?.Invoke(WriteFailed - _failedAtStart);
            }
        }
        catch (Exception ex)
        {
            Fail(ex, pending: 0);
        }
    }

    // Whatever was buffered since the last flush is lost with the file handle, and so is the record in hand.
    private void Fail(Exception ex, int pending)
    {
        long lost = _unflushed + pending;
        long total = Interlocked.Add(ref _writeFailed, lost);
        _unflushed = 0;
        CloseFile();
        _retryAt = _time.GetUtcNow() + RetryInterval;
        if (!_failing)
        {
            _failing = true;
            _failedAtStart = total - lost;
            _onError?.Invoke(ex);
        }
    }

    // A file deleted, moved or rotated under the open handle would swallow every later record: write to the path again.
    private void ReopenIfReplaced()
    {
        if (_file is null || _fileName is null)
        {
            return;
        }

        try
        {
            var onDisk = new FileInfo(Path.Combine(_directory, _fileName));
            if (!onDisk.Exists || onDisk.Length != _file.Length)
            {
                CloseFile();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CloseFile();
        }
    }

    private void CloseFile()
    {
        try
        {
            _file?.Dispose();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Disposing flushes: the buffered records were already counted as lost.
        }

        _file = null;
        _fileName = null;
    }

    private FileStream FileFor(DateTimeOffset time)
    {
        // The name only changes with the UTC day: no string per record.
        DateOnly day = DateOnly.FromDateTime(time.UtcDateTime);
        if (_file is not null && day == _fileDay)
        {
            return _file;
        }

        string name = ActivityLog.FileName(time, _gatewayName);
        if (_file is not null && name == _fileName)
        {
            _fileDay = day;
            return _file;
        }

        if (_file is not null)
        {
            // A new day: what is buffered for the old file must reach it, or be counted as lost.
            _file.Flush();
            _unflushed = 0;
            CloseFile();
        }

        Directory.CreateDirectory(_directory);
        string path = Path.Combine(_directory, name);
        var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        if (file.Length > 0 && !EndsWithNewLine(path))
        {
            // A line torn by an earlier failure: the next record starts on its own line, so only the torn one is lost.
            file.WriteByte((byte)'\n');
        }

        _file = file;
        _fileName = name;
        _fileDay = day;
        return _file;
    }

    private static bool EndsWithNewLine(string path)
    {
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (reader.Length == 0)
        {
            return true;
        }

        reader.Seek(-1, SeekOrigin.End);
        return reader.ReadByte() == '\n';
    }
}
