using System.Buffers;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;
using Microsoft.Win32.SafeHandles;

namespace CasbCore;

/// <summary>
/// The compiled engine of each store's current configuration, kept between what-if calls (Test-CasbAccess) so that
/// a call against an unchanged store neither parses, compiles nor rebuilds the certificate validator.
/// <para>"Unchanged" means the bytes of <c>casb.json</c> are the ones the engine was compiled from, compared on every
/// call. A file's length, write time and revision cannot prove that: a hand edit of the same length within the
/// timestamp's granularity (or one that restores the time, or does not bump the revision) would go unseen. Reading a
/// store of a thousand policies from the page cache and comparing it costs well under a millisecond, so the cache
/// is never stale: a change made by a cmdlet, by hand or by another process is seen by the very next call.</para>
/// <para>Thread-safe. Holds at most <see cref="Capacity"/> stores; the least recently used is dropped. The cached
/// engine and its <see cref="CasbEngine.Configuration"/> are shared by every caller and must not be changed.</para>
/// </summary>
public sealed class CasbEngineCache
{
    public const int DefaultCapacity = 4;

    private readonly object _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _clock;

    public CasbEngineCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>The cache of the current process (what Test-CasbAccess uses).</summary>
    public static CasbEngineCache Shared { get; } = new();

    public int Capacity { get; }

    /// <summary>
    /// The engine for the store's configuration as it is now on disk. <paramref name="reused"/> is true when the
    /// file's content is the one the cached engine was compiled from, false when it was (re)compiled for this call.
    /// Throws the errors of <see cref="CasbStore.Load"/> (StoreReadFailed, StoreCorrupt, StoreSchemaUnsupported) and of
    /// <see cref="ConfigurationValidator"/> (the first problem's id, as the gateway refuses such a store); a failure caches nothing.
    /// </summary>
    public CasbEngine GetEngine(IConfigurationStore store, out bool reused)
    {
        ArgumentNullException.ThrowIfNull(store);
        string file = store.DocumentName;
        Entry? known;
        lock (_lock)
        {
            _entries.TryGetValue(file, out known);
        }

        byte[]? rented = null;
        try
        {
            bool exists;
            int length;
            if (store is CasbStore)
            {
                exists = TryRead(file, out rented, out length);
            }
            else
            {
                // A database store: one round trip for the document, compared with the cached one as a file's content is.
                byte[]? document = store.ReadDocument();
                exists = document is not null;
                rented = document is null ? null : ArrayPool<byte>.Shared.Rent(document.Length);
                document?.CopyTo(rented!, 0);
                length = document?.Length ?? 0;
            }

            ReadOnlySpan<byte> content = exists ? rented.AsSpan(0, length) : default;
            if (known is not null && known.Exists == exists && content.SequenceEqual(known.Content))
            {
                lock (_lock)
                {
                    known.LastUsed = ++_clock;
                }

                reused = true;
                return known.Engine;
            }

            CasbConfiguration configuration = exists ? CasbStore.Parse(content, file) : new CasbConfiguration();
            // What the gateway would not load (it refuses to start, or keeps its last good revision) is not answered either.
            ConfigurationValidator.ThrowIfInvalid(configuration);
            var entry = new Entry(exists, content.ToArray(), new CasbEngine(configuration));
            lock (_lock)
            {
                entry.LastUsed = ++_clock;
                _entries[file] = entry;
                while (_entries.Count > Capacity)
                {
                    _entries.Remove(_entries.MinBy(e => e.Value.LastUsed).Key);
                }
            }

            reused = false;
            return entry.Engine;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Forgets every cached engine.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
        }
    }

    /// <summary>Reads the whole file into a pooled buffer; false when there is no file (an empty configuration, as <see cref="CasbStore.Load"/>).</summary>
    private static bool TryRead(string file, out byte[]? buffer, out int length)
    {
        buffer = null;
        length = 0;
        try
        {
            // Writers replace the file by renaming a new one over it: sharing delete lets them, and this handle keeps
            // reading the version it opened.
            using SafeFileHandle handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long size = RandomAccess.GetLength(handle);
            buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(size + 1, 4096, Array.MaxLength));
            while (true)
            {
                if (length == buffer.Length)
                {
                    // The file grew while being read: keep reading to its end, as File.ReadAllBytes would.
                    byte[] larger = ArrayPool<byte>.Shared.Rent(checked(buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read = RandomAccess.Read(handle, buffer.AsSpan(length), length);
                if (read == 0)
                {
                    return true;
                }

                length += read;
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CasbStore.ReadFailed(file, ex);
        }
    }

    private sealed class Entry(bool exists, byte[] content, CasbEngine engine)
    {
        public bool Exists { get; } = exists;

        public byte[] Content { get; } = content;

        public CasbEngine Engine { get; } = engine;

        public long LastUsed { get; set; }
    }
}
