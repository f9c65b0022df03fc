using System.Buffers;
using System.Text.Json;

namespace CasbCore.Activity;

/// <summary>
/// The activity log on disk: JSON lines in daily files (see <see cref="ActivityLog"/>), each with its block index
/// (<see cref="ActivityLogIndex"/>). Each record is serialized into a reused buffer and written as one whole line; a
/// batch is flushed when written, so readers see a record within milliseconds. A batch that fails is cut back off the
/// file (and its index) before the pump retries it, so a retried record is never written twice.
/// </summary>
public sealed class FileActivitySink : IActivitySink
{
    /// <summary>An index entry per this many lines, or per <see cref="BlockBytes"/>, whichever comes first.</summary>
    public const int BlockLines = 1024;
    private const int BlockBytes = 1024 * 1024;

    private readonly string _directory;
    private readonly int _blockLines;
    private readonly string? _gatewayName;
    private readonly ArrayBufferWriter<byte> _line = new(4096);
    private readonly Utf8JsonWriter _json;
    private readonly byte[] _entry = new byte[ActivityLogIndex.EntrySize];
    private FileStream? _file;
    private FileStream? _index;
    private string? _fileName;
    private DateOnly _fileDay;
    private Block _block;

    // The length of the file after the last batch that was kept: what a failed batch is cut back to.
    private string? _keptName;
    private long _keptLength;
    private bool _cutPending;

    public FileActivitySink(string directory, string? gatewayName)
        : this(directory, gatewayName, BlockLines)
    {
    }

    /// <param name="directory">The activity folder.</param>
    /// <param name="gatewayName">The gateway's name (part of the file name unless "default").</param>
    /// <param name="blockLines">Lines per index entry (tests use small blocks to exercise the index).</param>
    internal FileActivitySink(string directory, string? gatewayName, int blockLines)
    {
        _directory = directory;
        _gatewayName = gatewayName;
        _blockLines = blockLines;
        _json = new Utf8JsonWriter(_line);
    }

    public string Name => "file";

    /// <summary>Creates the folder and opens today's file once: throws the IOException or UnauthorizedAccessException a write would meet.</summary>
    public void EnsureWritable(DateTimeOffset now)
    {
        CreateFolder(_directory);
        using FileStream probe = OpenOwnerOnly(Path.Combine(_directory, ActivityLog.FileName(now, _gatewayName)), FileMode.Append, FileAccess.Write, 0);
    }

    public void WriteBatch(List<ActivityRecord> batch)
    {
        ReopenIfReplaced();
        int kept = 0;
        try
        {
            while (kept < batch.Count)
            {
                kept = WriteDay(batch, kept);
            }
        }
        finally
        {
            batch.RemoveRange(0, kept);
        }
    }

    public void Dispose()
    {
        try
        {
            if (_file is not null)
            {
                _file.Flush();
                EndBlock();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The last block stays unindexed: readers read it as it is.
        }

        CloseFile();
        _json.Dispose();
    }

    /// <summary>Writes the records of one UTC day from <paramref name="start"/>; returns the index after them.</summary>
    private int WriteDay(List<ActivityRecord> batch, int start)
    {
        FileStream file = FileFor(batch[start].Time);
        long fileLength = file.Length;
        long indexLength = _index!.Length;
        Block block = _block;
        int i = start;
        try
        {
            for (; i < batch.Count && DateOnly.FromDateTime(batch[i].Time.UtcDateTime) == _fileDay; i++)
            {
                ActivityRecord record = batch[i];
                _line.ResetWrittenCount();
                _json.Reset(_line);
                JsonSerializer.Serialize(_json, record, ActivityJsonContext.Default.ActivityRecord);
                _json.Flush();
                _line.Write("\n"u8);
                file.Write(_line.WrittenSpan);
                _block = _block.Add(record.Time.UtcTicks, _line.WrittenCount);
                if (_block.Lines >= _blockLines || _block.Bytes >= BlockBytes)
                {
                    // The lines reach the disk before the entry that points at them.
                    file.Flush();
                    EndBlock();
                }
            }

            file.Flush();
            _index.Flush();
            return i;
        }
        catch
        {
            try
            {
                file.SetLength(fileLength);
                _index.SetLength(indexLength);
                _block = block;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Cut back when the file is opened again (see FileFor).
                _keptName = _fileName;
                _keptLength = fileLength;
                _cutPending = true;
            }

            CloseFile();
            throw;
        }
    }

    private void EndBlock()
    {
        if (_index is null || _block.Lines == 0)
        {
            return;
        }

        ActivityLogIndex.WriteEntry(_entry, new ActivityLogIndex.Block(_block.Start, _block.Start + _block.Bytes, _block.MinTicks, _block.MaxTicks));
        _index.Write(_entry);
        _index.Flush();
        _block = Block.At(_block.Start + _block.Bytes);
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
                // The index described the file that went: it must not narrow what readers read of the new one.
                string index = ActivityLogIndex.PathOf(onDisk.FullName);
                CloseFile();
                File.Delete(index);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CloseFile();
        }
    }

    private void CloseFile()
    {
        foreach (FileStream? stream in new[] { _file, _index })
        {
            try
            {
                stream?.Dispose();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The batch that failed is retried; what reached the disk is cut back when the file is opened again.
            }
        }

        _file = null;
        _index = null;
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

        if (_file is not null)
        {
            // A new day: the old file's last block gets its index entry.
            _file.Flush();
            EndBlock();
            CloseFile();
        }

        CreateFolder(_directory);
        string name = ActivityLog.FileName(time, _gatewayName);
        string path = Path.Combine(_directory, name);
        FileStream file = OpenOwnerOnly(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, 64 * 1024);
        FileStream? index = null;
        try
        {
            if (_cutPending && name == _keptName && file.Length > _keptLength)
            {
                // Part of a batch that failed reached the disk and could not be cut back then: it is retried, so cut it now.
                file.SetLength(_keptLength);
            }

            _cutPending = false;
            file.Seek(0, SeekOrigin.End);
            if (file.Length > 0 && !EndsWithNewLine(file))
            {
                // A line torn by an earlier crash: the next record starts on its own line, so only the torn one is lost.
                file.WriteByte((byte)'\n');
                file.Flush();
            }

            string indexPath = ActivityLogIndex.PathOf(path);
            List<ActivityLogIndex.Block> valid = ActivityLogIndex.ReadValid(indexPath, file.Length);
            index = OpenOwnerOnly(indexPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, 4096);

            // Whatever follows the valid entries (a torn entry, an index of a file since replaced) goes.
            index.SetLength((long)valid.Count * ActivityLogIndex.EntrySize);
            index.Seek(0, SeekOrigin.End);
        }
        catch
        {
            file.Dispose();
            index?.Dispose();
            throw;
        }

        _file = file;
        _index = index;
        _fileName = name;
        _fileDay = day;
        _block = Block.At(file.Length);
        return _file;
    }

    // Who went where, from which address and device: created for the gateway's account only (700, 600), whatever the
    // umask. A folder or file that exists keeps the mode it has.
    private static void CreateFolder(string directory) => OwnerOnly.CreateDirectory(directory);

    private static FileStream OpenOwnerOnly(string path, FileMode mode, FileAccess access, int bufferSize) =>
        new(path, OwnerOnly.FileOptions(mode, access, FileShare.ReadWrite | FileShare.Delete, bufferSize));

    private static bool EndsWithNewLine(FileStream file)
    {
        file.Seek(-1, SeekOrigin.End);
        bool newLine = file.ReadByte() == '\n';
        file.Seek(0, SeekOrigin.End);
        return newLine;
    }

    /// <summary>The block being written: where it starts, its lines and bytes, its earliest and latest record time.</summary>
    private readonly record struct Block(long Start, int Lines, long Bytes, long MinTicks, long MaxTicks)
    {
        public static Block At(long start) => new(start, 0, 0, long.MaxValue, long.MinValue);

        public Block Add(long ticks, int bytes) => new(Start, Lines + 1, Bytes + bytes, Math.Min(MinTicks, ticks), Math.Max(MaxTicks, ticks));
    }
}
