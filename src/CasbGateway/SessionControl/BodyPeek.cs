using System.IO.Compression;

namespace CasbGateway.SessionControl;

/// <summary>
/// Reads the first <see cref="CasbCore.Policies.TextPlainSniffer.WindowBytes"/> bytes of a response body as the browser
/// will see them (decoded through its Content-Encoding: Chromium sniffs the decoded bytes) and puts the upstream's raw
/// bytes back in front of the rest, so the client receives the body unchanged. Only a text/plain response in a session
/// under session control comes here; the window is the whole body when it is shorter, as the browser waits for the
/// window or the end.
/// </summary>
internal static class BodyPeek
{
    /// <summary>
    /// Raw bytes read at most to decode the window: a gzip header can carry a long name or extra field before the first
    /// decoded byte. Beyond it the peek fails, and a failed peek is decided as a download.
    /// </summary>
    internal const int RawLimitBytes = 64 * 1024;

    /// <summary>The decoded window, or null when it could not be read (an upstream error, a stall past the upstream timeout, an encoding the gateway cannot decode, too many raw bytes).</summary>
    public static async ValueTask<byte[]?> PeekAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        HttpContent original = response.Content;
        Stream raw;
        try
        {
            raw = await original.ReadAsStreamAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or HttpRequestException)
        {
            return null; // no body to replay: the copy that follows fails as it would have
        }

        var recorder = new RecordingStream(raw);
        byte[] window = new byte[CasbCore.Policies.TextPlainSniffer.WindowBytes];
        int filled = 0;
        Exception? error = null;
        var decoders = new List<Stream>(1);
        try
        {
            Stream decoded = Decoded(recorder, original.Headers, decoders);
            while (filled < window.Length)
            {
                int read = await decoded.ReadAsync(window.AsMemory(filled), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or OperationCanceledException or HttpRequestException)
        {
            // Fail closed: the window is unknown, so the response is decided as a download; what was read is still replayed,
            // then the error ends the body as it would have ended it without the gateway.
            error = e;
        }
        finally
        {
            // Each decoder holds native zlib or brotli state until disposed; opened with leaveOpen, none closes the body.
            foreach (Stream decoder in decoders)
            {
                await decoder.DisposeAsync();
            }
        }

        response.Content = new PeekedContent(original, recorder.Recorded, raw, error);
        return error is null ? window[..filled] : null;
    }

    /// <summary>The body decoded in the reverse order of its Content-Encoding list, as a browser decodes it.</summary>
    private static Stream Decoded(Stream raw, System.Net.Http.Headers.HttpContentHeaders headers, List<Stream> decoders)
    {
        var codings = new List<string>();
        if (headers.NonValidated.TryGetValues("Content-Encoding", out System.Net.Http.Headers.HeaderStringValues values))
        {
            foreach (string value in values)
            {
                codings.AddRange(value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            }
        }

        Stream stream = raw;
        for (int i = codings.Count - 1; i >= 0; i--)
        {
            string coding = codings[i];
            stream = coding.ToLowerInvariant() switch
            {
                "identity" => stream,
                "gzip" or "x-gzip" => new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true),
                "deflate" => new ZLibOrDeflateStream(stream),
                "br" => new BrotliStream(stream, CompressionMode.Decompress, leaveOpen: true),
                _ => throw new NotSupportedException($"The gateway cannot decode the Content-Encoding '{coding}' to see what the browser sniffs."),
            };
            if (!ReferenceEquals(stream, raw) && !decoders.Contains(stream))
            {
                decoders.Add(stream);
            }
        }

        return stream;
    }

    /// <summary>Records every raw byte read through it (up to <see cref="RawLimitBytes"/>), for the replay.</summary>
    private sealed class RecordingStream(Stream inner) : Stream
    {
        private byte[] _recorded = new byte[4096];
        private int _length;

        public ReadOnlyMemory<byte> Recorded => _recorded.AsMemory(0, _length);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int room = RawLimitBytes - _length;
            if (room <= 0)
            {
                throw new InvalidDataException($"More than {RawLimitBytes} raw bytes did not decode into the first {CasbCore.Policies.TextPlainSniffer.WindowBytes} bytes.");
            }

            int read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, room)], cancellationToken);
            if (_length + read > _recorded.Length)
            {
                Array.Resize(ref _recorded, Math.Min(RawLimitBytes, Math.Max(_recorded.Length * 2, _length + read)));
            }

            buffer.Span[..read].CopyTo(_recorded.AsSpan(_length));
            _length += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// "deflate" as browsers read it: a zlib stream (RFC 1950, what the name means), or the raw deflate data some servers
    /// send instead, told apart by the zlib header's check bits.
    /// </summary>
    private sealed class ZLibOrDeflateStream(Stream inner) : Stream
    {
        private Stream? _decoder;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_decoder is null)
            {
                byte[] header = new byte[2];
                int got = 0;
                while (got < 2)
                {
                    int read = await inner.ReadAsync(header.AsMemory(got), cancellationToken);
                    if (read == 0)
                    {
                        break;
                    }

                    got += read;
                }

                bool zlib = got == 2 && (header[0] & 0x0F) == 8 && ((header[0] << 8) | header[1]) % 31 == 0;
                var rest = new PrefixedStream(header.AsMemory(0, got), inner);
                _decoder = zlib
                    ? new ZLibStream(rest, CompressionMode.Decompress, leaveOpen: true)
                    : new DeflateStream(rest, CompressionMode.Decompress, leaveOpen: true);
            }

            return await _decoder.ReadAsync(buffer, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _decoder?.Dispose(); // leaveOpen: the body it reads stays open
            }

            base.Dispose(disposing);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
