using System.Text.Json;
using System.Threading.Channels;

namespace CasbCore.Activity;

/// <summary>
/// Appends activity records to the daily files from one dedicated thread: request threads only enqueue.
/// Each record is serialized straight into the file's buffer (no per-record arrays) and the buffer is written out as
/// soon as the queue is drained, so readers see a record within milliseconds and a crash tears at most the last line.
/// </summary>
public sealed class ActivityLogWriter : IAsyncDisposable
{
    private const int Capacity = 100_000;
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly Channel<ActivityRecord> _channel = Channel.CreateBounded<ActivityRecord>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private readonly string _directory;
    private readonly string? _gatewayName;
    private readonly Action<Exception>? _onError;
    private readonly Thread _pump;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Utf8JsonWriter? _json;
    private FileStream? _file;
    private string? _fileName;
    private DateOnly _fileDay;
    private long _dropped;

    public ActivityLogWriter(string directory, string? gatewayName, Action<Exception>? onError = null)
    {
        _directory = directory;
        _gatewayName = gatewayName;
        _onError = onError;

        // File writes block: on a thread-pool thread they would hold a worker for every batch under steady load and
        // make the pool inject threads (the soak's thread count rising from 21 to 52). One thread of its own instead.
        _pump = new Thread(Pump) { IsBackground = true, Name = "Casb activity log writer" };
        _pump.Start();
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
                try
                {
                    while (reader.TryRead(out ActivityRecord? record))
                    {
                        Append(record);
                    }

                    _file?.Flush();
                }
                catch (Exception ex)
                {
                    // The pump must survive anything: a dead pump would silently drop every later record.
                    CloseFile();
                    _onError?.Invoke(ex);
                }
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
        FileStream file = FileFor(record.Time);
        Utf8JsonWriter json = _json ??= new Utf8JsonWriter(file);
        json.Reset(file);
        JsonSerializer.Serialize(json, record, ActivityJsonContext.Default.ActivityRecord);
        json.Flush();
        file.Write(NewLine);
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

        CloseFile();
        Directory.CreateDirectory(_directory);
        _file = new FileStream(
            Path.Combine(_directory, name), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        _fileName = name;
        _fileDay = day;
        return _file;
    }

    private void CloseFile()
    {
        try
        {
            _file?.Dispose();
        }
        catch (IOException)
        {
            // Nothing more can be done with a file that fails to close.
        }

        _file = null;
        _fileName = null;
    }
}
