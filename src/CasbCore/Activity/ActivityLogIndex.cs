using System.Buffers.Binary;

namespace CasbCore.Activity;

/// <summary>
/// The block index the file sink keeps next to each daily file (<c>&lt;file&gt;.idx</c>): one 32-byte entry per block of
/// about a thousand lines, with the block's byte range and the earliest and latest record time in it. A reader reads
/// only the blocks whose time range meets its query, so a lookup by correlation id (whose time the id carries) or by
/// time reads a few blocks of a day, not the day. Bytes the index does not cover (the live block, what a crash left,
/// a file written before the index existed) are read as they are: the index narrows, it never hides a record.
/// </summary>
public static class ActivityLogIndex
{
    public const string Extension = ".idx";
    public const int EntrySize = 32;

    /// <summary>A run of whole lines [Start, End) of the log file and the range of its records' times (UTC ticks).</summary>
    public readonly record struct Block(long Start, long End, long MinTicks, long MaxTicks)
    {
        /// <summary>True for a byte range the index says nothing about: read it whatever the query.</summary>
        public bool Unindexed => MinTicks == long.MinValue;

        public bool Meets(DateTimeOffset? from, DateTimeOffset? until) =>
            Unindexed || ((from is not { } f || MaxTicks >= f.UtcTicks) && (until is not { } u || MinTicks < u.UtcTicks));
    }

    public static string PathOf(string logPath) => logPath + Extension;

    public static void WriteEntry(Span<byte> destination, Block block)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, block.Start);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], block.End);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], block.MinTicks);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], block.MaxTicks);
    }

    /// <summary>
    /// The valid entries of an index, in order: each within the file and after the one before. Reading stops at the
    /// first entry that is not (a torn tail, an index of a file since replaced).
    /// </summary>
    public static List<Block> ReadValid(string indexPath, long logLength)
    {
        var blocks = new List<Block>();
        byte[] bytes;
        try
        {
            bytes = ReadAll(indexPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return blocks;
        }

        long previousEnd = 0;
        for (int offset = 0; offset + EntrySize <= bytes.Length; offset += EntrySize)
        {
            ReadOnlySpan<byte> entry = bytes.AsSpan(offset, EntrySize);
            var block = new Block(
                BinaryPrimitives.ReadInt64LittleEndian(entry),
                BinaryPrimitives.ReadInt64LittleEndian(entry[8..]),
                BinaryPrimitives.ReadInt64LittleEndian(entry[16..]),
                BinaryPrimitives.ReadInt64LittleEndian(entry[24..]));
            if (block.Start < previousEnd || block.End <= block.Start || block.End > logLength || block.MinTicks > block.MaxTicks
                || block.MinTicks < DateTimeOffset.MinValue.UtcTicks || block.MaxTicks > DateTimeOffset.MaxValue.UtcTicks)
            {
                break;
            }

            blocks.Add(block);
            previousEnd = block.End;
        }

        return blocks;
    }

    /// <summary>The whole file [0, length) as indexed blocks and, between and after them, unindexed ranges.</summary>
    public static List<Block> Cover(List<Block> indexed, long logLength)
    {
        var cover = new List<Block>(indexed.Count + 2);
        long position = 0;
        foreach (Block block in indexed)
        {
            if (block.Start > position)
            {
                cover.Add(new Block(position, block.Start, long.MinValue, long.MaxValue));
            }

            cover.Add(block);
            position = block.End;
        }

        if (logLength > position)
        {
            cover.Add(new Block(position, logLength, long.MinValue, long.MaxValue));
        }

        return cover;
    }

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            return Array.Empty<byte>();
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        byte[] bytes = new byte[stream.Length - stream.Length % EntrySize];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
