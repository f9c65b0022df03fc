namespace CasbModule.Tests.Gateway;

/// <summary>What one request body brought to the upstream: its first bytes, how many in all, and whether it ended normally.</summary>
internal sealed record UpstreamBody(string Path, byte[] Head, long Total, bool Complete);

/// <summary>An upstream request body that remembers what the upstream read of it (the first 16 MiB kept).</summary>
internal sealed class RecordingBody : Stream
{
    private const int Kept = 16 * 1024 * 1024;
    private readonly Stream _inner;
    private readonly MemoryStream _head = new();

    public RecordingBody(Stream inner) => _inner = inner;

    public long Total { get; private set; }

    public bool Complete { get; private set; }

    public UpstreamBody Result(string path) => new(path, _head.ToArray(), Total, Complete);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await _inner.ReadAsync(buffer, cancellationToken);
        if (read == 0)
        {
            Complete = true;
        }

        if (_head.Length < Kept)
        {
            _head.Write(buffer.Span[..(int)Math.Min(read, Kept - _head.Length)]);
        }

        Total += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
