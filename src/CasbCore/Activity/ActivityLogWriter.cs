using System.Threading.Channels;

namespace CasbCore.Activity;

/// <summary>
/// Appends activity records to the daily files from one background task: request threads only enqueue.
/// Each record is one whole-line write to a file opened for append, flushed as soon as the queue is drained,
/// so readers see a record within milliseconds and a crash tears at most the last line.
/// </summary>
public sealed class ActivityLogWriter : IAsyncDisposable
{
    private const int Capacity = 100_000;

    private readonly Channel<ActivityRecord> _channel = Channel.CreateBounded<ActivityRecord>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private readonly string _directory;
    private readonly string? _gatewayName;
    private readonly Action<Exception>? _onError;
    private readonly Task _pump;
    private FileStream? _file;
    private string? _fileName;
    private long _dropped;

    public ActivityLogWriter(string directory, string? gatewayName, Action<Exception>? onError = null)
    {
        _directory = directory;
        _gatewayName = gatewayName;
        _onError = onError;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Records dropped because the queue was full (the disk cannot keep up).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a record; never blocks the request.</summary>
    public void Write(ActivityRecord record)
    {
        if (!_channel.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
        }
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
            try
            {
                while (reader.TryRead(out ActivityRecord? record))
                {
                    FileStream file = FileFor(record.Time);
                    file.Write(ActivityLog.SerializeLine(record));
                }

                _file?.Flush();
            }
            catch (Exception ex)
            {
                // The pump must survive anything: a dead pump would silently drop every later record.
                _file?.Dispose();
                _file = null;
                _fileName = null;
                _onError?.Invoke(ex);
            }
        }
    }

    private FileStream FileFor(DateTimeOffset time)
    {
        string name = ActivityLog.FileName(time, _gatewayName);
        if (_file is not null && name == _fileName)
        {
            return _file;
        }

        _file?.Dispose();
        Directory.CreateDirectory(_directory);
        _file = new FileStream(
            Path.Combine(_directory, name), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        _fileName = name;
        return _file;
    }
}
