using System.Threading.Channels;

namespace CasbCore.Activity;

/// <summary>
/// Appends activity records to the daily files from one background task: request threads only enqueue.
/// Each record is one whole-line write to a file opened for append, flushed as soon as the queue is drained,
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
    private readonly Task _pump;
    private FileStream? _file;
    private string? _fileName;
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
        _pump = Task.Run(PumpAsync);
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
        await _pump.ConfigureAwait(false);
        _file?.Dispose();
    }

    private async Task PumpAsync()
    {
        ChannelReader<ActivityRecord> reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
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
            file.Write(ActivityLog.SerializeLine(record));
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
        string name = ActivityLog.FileName(time, _gatewayName);
        if (_file is not null && name == _fileName)
        {
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
