using System.Buffers;
using System.Text;
using CasbCore.Policies;

namespace CasbGateway.SessionControl;

/// <summary>
/// A multipart request body read part by part as it streams to the upstream (YARP reads this stream instead of the
/// client's). Each part's delimiter and headers are held back until the part is decided: a file part (a filename or
/// filename* parameter, or no Content-Disposition at all) goes to the engine under every spelling of its name before
/// one byte of it is passed on. Allowed parts flow through byte for byte (the upstream gets exactly what the client
/// sent); a blocked part, or a body two parsers could read differently, makes the read fail, which aborts the
/// upstream request before it is complete. Memory is a fixed window (about 100 KiB) whatever the file's size.
/// <para>
/// Strict where parsers disagree, so the parts the gateway decides are the parts any upstream reads: the boundary
/// string may appear only as a whole delimiter at the start of a CRLF line (an LF-only or mid-line delimiter that a
/// lenient server would split on is refused); header lines end in CRLF, are not folded and have token names; one
/// Content-Disposition per part, no parameter twice, no RFC 2231 continuations; no nested multipart; no boundary in
/// the epilogue. A size filter is decided without buffering: a file that could be blocked by its size is re-decided
/// at each MiB it reaches and refused as soon as it is, before the bytes that reach the size are passed on.
/// </para>
/// <para>
/// A blocked file is answered with the policy (and block message) the engine gives at its size, as Test-CasbAccess
/// -FileSizeMB answers: once a part is blocked whatever more of it arrives, but a larger size would make another policy
/// block it (it is still short of a size filter), its bytes are read and dropped, neither passed on nor kept, until
/// it ends or its answer is the one it has at any larger size. A file blocked by the same policy at every size is
/// refused at its headers.
/// </para>
/// </summary>
internal sealed class MultipartUploadStream : Stream
{
    /// <summary>The longest header block of one part (ASP.NET Core's MultipartReader default).</summary>
    public const int HeaderLimit = 16 * 1024;

    /// <summary>How much of the body may precede the first delimiter.</summary>
    public const int PreambleLimit = 16 * 1024;

    /// <summary>How much allowed output the gateway holds before forwarding while it looks for the first file part.</summary>
    public const int PrefetchLimit = 64 * 1024;

    private const int ReadSize = 64 * 1024;
    private const int MaxHeaders = 100;
    private const int MaxPadding = 64;
    private const long SizeCheckStep = 1024 * 1024;

    private readonly Stream _inner;
    private readonly byte[] _delimiter;
    private readonly Func<FileTransfer, FileDecision> _decide;

    // Both windows are pooled (each is past the large-object threshold): returned when the request is disposed.
    private byte[] _in = ArrayPool<byte>.Shared.Rent(ReadSize + PreambleLimit + 512);
    private int _inStart;
    private int _inEnd;
    private bool _innerEnded;

    // Output: [_outStart, _outReleased) may be read; [_outReleased, _outEnd) is held until its part is decided.
    private byte[] _out = ArrayPool<byte>.Shared.Rent(ReadSize + HeaderLimit + 1024);
    private bool _disposed;
    private int _outStart;
    private int _outReleased;
    private int _outEnd;

    private State _state = State.Preamble;
    private UploadRefusedException? _failure;

    private readonly List<(string Name, string Value, string? Latin1)> _headers = new();
    private readonly List<string> _names = new();
    private int _headerBytes;
    private bool _partIsFile;
    private bool _sizeDependent;
    private bool _blockPending; // blocked whatever follows, but which policy blocks hangs on the size: dropped as it arrives
    private FileDecision? _unknownSize;
    private long _partBytes;
    private long _nextSizeCheck;

    public MultipartUploadStream(Stream inner, string boundary, Func<FileTransfer, FileDecision> decide)
    {
        _inner = inner;
        _delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        _decide = decide;
    }

    private enum State
    {
        Preamble,
        AfterDelimiter,
        Headers,
        Body,
        CloseLine,
        Epilogue,
        Done,
    }

    /// <summary>The strictest file decision so far; the blocked file's when one was blocked.</summary>
    public FileDecision? Decisive { get; private set; }

    /// <summary>True when a file part was blocked.</summary>
    public bool IsBlocked => Decisive is { Action: FileAction.Block };

    /// <summary>Why the body was refused as unreadable (the end of a sentence), or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>File parts decided so far.</summary>
    public int Files { get; private set; }

    /// <summary>True once the read failed (a part blocked or the body refused).</summary>
    public bool Refused => _failure is not null;

    /// <summary>
    /// A valid RFC 2046 boundary: 1-70 characters of the bchars set, not ending in a space. A body with any other
    /// boundary is refused rather than parsed.
    /// </summary>
    public static bool IsValidBoundary(string? boundary)
    {
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70 || boundary[^1] == ' ')
        {
            return false;
        }

        foreach (char c in boundary)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "'()+_,-./:=? ".Contains(c)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Reads ahead, holding the output, until the first file part is decided, the body ends, or
    /// <see cref="PrefetchLimit"/> bytes are waiting: so a form whose first file is blocked is refused before the
    /// upstream is contacted at all. Returns normally when the body was refused (see <see cref="Refused"/>).
    /// </summary>
    public async Task PrefetchAsync(CancellationToken cancellationToken)
    {
        try
        {
            while ((Files == 0 || _blockPending) && _state != State.Done && _outReleased - _outStart < PrefetchLimit)
            {
                await FillAsync(sync: false, cancellationToken);
            }
        }
        catch (UploadRefusedException)
        {
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            ArrayPool<byte>.Shared.Return(_in);
            ArrayPool<byte>.Shared.Return(_out);
            _in = [];
            _out = [];
        }

        base.Dispose(disposing);
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadCoreAsync(buffer.AsMemory(offset, count), sync: true, CancellationToken.None).GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadCoreAsync(buffer.AsMemory(offset, count), sync: false, cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadCoreAsync(buffer, sync: false, cancellationToken);

    private async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, bool sync, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length == 0)
        {
            return 0;
        }

        while (_outReleased == _outStart)
        {
            if (_failure is not null)
            {
                throw _failure;
            }

            if (_state == State.Done)
            {
                return 0;
            }

            await FillAsync(sync, cancellationToken);
        }

        int count = Math.Min(buffer.Length, _outReleased - _outStart);
        _out.AsSpan(_outStart, count).CopyTo(buffer.Span);
        _outStart += count;
        return count;
    }

    private async ValueTask FillAsync(bool sync, CancellationToken cancellationToken)
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        if (!_innerEnded)
        {
            if (_inStart > 0)
            {
                _in.AsSpan(_inStart, _inEnd - _inStart).CopyTo(_in);
                _inEnd -= _inStart;
                _inStart = 0;
            }

            int room = Math.Min(ReadSize, _in.Length - _inEnd);
            int read;
            try
            {
                read = sync
                    ? _inner.Read(_in, _inEnd, room)
                    : await _inner.ReadAsync(_in.AsMemory(_inEnd, room), cancellationToken);
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException) when (_blockPending)
            {
                // The body limit or the data rate ended a part that is blocked anyway: blocked at the size that arrived.
                Block(Decide(_partBytes + (_inEnd - _inStart)));
                throw; // not reached: Block throws
            }
            if (read == 0)
            {
                _innerEnded = true;
            }

            _inEnd += read;
        }

        Process();
        if (_innerEnded && _state != State.Done && _outReleased == _outStart)
        {
            Fail("it could not be read to its end"); // every state ends or fails at the end of input; a guard, not a path
        }
    }

    private void Process()
    {
        while (true)
        {
            ReadOnlySpan<byte> pending = _in.AsSpan(_inStart, _inEnd - _inStart);
            switch (_state)
            {
                case State.Preamble:
                {
                    int at = pending.IndexOf(_delimiter);
                    if (at < 0)
                    {
                        if (pending.Length > PreambleLimit)
                        {
                            Fail($"it has no boundary delimiter in its first {PreambleLimit / 1024} KiB");
                        }

                        if (_innerEnded)
                        {
                            Fail("it has no boundary delimiter");
                        }

                        return;
                    }

                    // The whole preamble is held, so at 0 is the very start of the body.
                    if (at != 0 && !AfterCrLf(pending, at))
                    {
                        Fail("its boundary appears in the middle of a line");
                    }

                    Emit(pending[..at], release: true);
                    Emit(_delimiter, release: false);
                    Consume(at + _delimiter.Length);
                    _state = State.AfterDelimiter;
                    continue;
                }

                case State.AfterDelimiter:
                {
                    if (pending.Length > 0 && pending[0] == (byte)'-')
                    {
                        if (pending.Length < 2)
                        {
                            if (_innerEnded)
                            {
                                Fail("it ends inside a boundary delimiter");
                            }

                            return;
                        }

                        if (pending[1] != (byte)'-')
                        {
                            Fail("its boundary is followed by something other than the end of the line");
                        }

                        Emit(pending[..2], release: false);
                        Consume(2);
                        _state = State.CloseLine;
                        continue;
                    }

                    int padding = CountPadding(pending);
                    if (padding + 2 > pending.Length)
                    {
                        if (_innerEnded)
                        {
                            Fail("it ends inside a boundary delimiter");
                        }

                        return;
                    }

                    if (pending[padding] != (byte)'\r' || pending[padding + 1] != (byte)'\n')
                    {
                        Fail("its boundary is followed by something other than the end of the line");
                    }

                    Emit(pending[..(padding + 2)], release: false);
                    Consume(padding + 2);
                    _headers.Clear();
                    _headerBytes = 0;
                    _state = State.Headers;
                    continue;
                }

                case State.Headers:
                {
                    int lf = pending.IndexOf((byte)'\n');
                    if (lf < 0)
                    {
                        if (_headerBytes + pending.Length > HeaderLimit)
                        {
                            Fail($"a part's headers are longer than {HeaderLimit / 1024} KiB");
                        }

                        if (_innerEnded)
                        {
                            Fail("it ends inside a part's headers");
                        }

                        return;
                    }

                    if (lf == 0 || pending[lf - 1] != (byte)'\r')
                    {
                        Fail("a part's header line ends in a bare LF");
                    }

                    _headerBytes += lf + 1;
                    if (_headerBytes > HeaderLimit)
                    {
                        Fail($"a part's headers are longer than {HeaderLimit / 1024} KiB");
                    }

                    ReadOnlySpan<byte> line = pending[..(lf - 1)];
                    if (line.Length == 0)
                    {
                        Emit(pending[..(lf + 1)], release: false);
                        Consume(lf + 1);
                        DecidePart();
                        _state = State.Body;
                        continue;
                    }

                    AddHeader(line);
                    Emit(pending[..(lf + 1)], release: false);
                    Consume(lf + 1);
                    continue;
                }

                case State.Body:
                {
                    int at = pending.IndexOf(_delimiter);
                    if (at >= 0)
                    {
                        if (!AfterCrLf(pending, at))
                        {
                            Fail("its boundary appears inside a part, not at the start of a line");
                        }

                        int body = at - 2;
                        Grow(body, partEnds: true);
                        Emit(pending[..body], release: true);
                        Emit(pending.Slice(body, 2 + _delimiter.Length), release: false);
                        Consume(at + _delimiter.Length);
                        _state = State.AfterDelimiter;
                        continue;
                    }

                    if (_innerEnded)
                    {
                        if (_blockPending)
                        {
                            Block(Decide(_partBytes + pending.Length)); // cut short, but blocked at any size: at the size that arrived
                        }

                        Fail("it ends inside a part, without its closing delimiter");
                    }

                    // Keep back what could be the start of a delimiter split across reads.
                    int ready = pending.Length - (_delimiter.Length + 1);
                    if (ready > 0)
                    {
                        Grow(ready, partEnds: false);
                        if (!_blockPending)
                        {
                            Emit(pending[..ready], release: true);
                        }

                        Consume(ready);
                    }

                    return;
                }

                case State.CloseLine:
                {
                    int padding = CountPadding(pending);
                    if (padding == pending.Length)
                    {
                        if (!_innerEnded)
                        {
                            return;
                        }

                        Emit(pending, release: true);
                        Consume(pending.Length);
                        _state = State.Done;
                        return;
                    }

                    if (pending[padding] != (byte)'\r' || (padding + 1 < pending.Length && pending[padding + 1] != (byte)'\n'))
                    {
                        Fail("its closing delimiter is followed by something other than the end of the line");
                    }

                    if (padding + 1 == pending.Length)
                    {
                        if (_innerEnded)
                        {
                            Fail("its closing delimiter is followed by something other than the end of the line");
                        }

                        return;
                    }

                    Emit(pending[..(padding + 2)], release: true);
                    Consume(padding + 2);
                    _state = State.Epilogue;
                    continue;
                }

                case State.Epilogue:
                {
                    if (pending.IndexOf(_delimiter) >= 0)
                    {
                        Fail("its epilogue holds another boundary delimiter");
                    }

                    int ready = _innerEnded ? pending.Length : Math.Max(0, pending.Length - (_delimiter.Length - 1));
                    Emit(pending[..ready], release: true);
                    Consume(ready);
                    if (_innerEnded)
                    {
                        _state = State.Done;
                    }

                    return;
                }

                default:
                    if (pending.Length > 0)
                    {
                        Fail("it goes on after its end");
                    }

                    return;
            }
        }
    }

    private int CountPadding(ReadOnlySpan<byte> pending)
    {
        int padding = 0;
        while (padding < pending.Length && (pending[padding] == (byte)' ' || pending[padding] == (byte)'\t'))
        {
            padding++;
        }

        if (padding > MaxPadding)
        {
            Fail("a delimiter line is padded with too much white space");
        }

        return padding;
    }

    private static bool AfterCrLf(ReadOnlySpan<byte> pending, int at) =>
        at >= 2 && pending[at - 2] == (byte)'\r' && pending[at - 1] == (byte)'\n';

    private void AddHeader(ReadOnlySpan<byte> line)
    {
        if (line.IndexOf((byte)'\r') >= 0)
        {
            Fail("a part's header holds a bare CR");
        }

        if (line[0] == (byte)' ' || line[0] == (byte)'\t')
        {
            Fail("a part's header is folded over two lines");
        }

        int colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            Fail("a part's header line has no name");
        }

        foreach (byte b in line[..colon])
        {
            if (!IsTokenChar(b))
            {
                Fail("a part's header name has a character header names do not have");
            }
        }

        if (_headers.Count >= MaxHeaders)
        {
            Fail($"a part has more than {MaxHeaders} headers");
        }

        ReadOnlySpan<byte> raw = line[(colon + 1)..].Trim(" \t"u8);
        string value = Encoding.UTF8.GetString(raw);
        // A value that is not UTF-8 is also read as Latin-1, as some servers read it.
        string? latin1 = System.Text.Unicode.Utf8.IsValid(raw) ? null : Encoding.Latin1.GetString(raw);
        _headers.Add((Encoding.ASCII.GetString(line[..colon]), value, latin1));
    }

    private static bool IsTokenChar(byte b) =>
        b is > 0x20 and < 0x7F && "\"(),/:;<=>?@[\\]{}"u8.IndexOf(b) < 0;

    private void DecidePart()
    {
        int dispositions = 0;
        _names.Clear();
        bool namesFile = false;
        foreach ((string name, string value, string? latin1) in _headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
                && value.TrimStart().StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
            {
                Fail("a part holds another multipart body");
            }

            if (!name.Equals("Content-Disposition", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (++dispositions > 1)
            {
                Fail("a part has two Content-Disposition headers");
            }

            foreach (string spelling in latin1 is null ? [value] : new[] { value, latin1 })
            {
                if (!DispositionFileNames.TryRead(spelling, out _, out bool file, _names, out string? problem))
                {
                    Fail($"a part's {problem![4..]}");
                }

                namesFile |= file;
            }
        }

        // A part without a Content-Disposition is decided as a file of unknown name: nothing slips through undecided.
        _partIsFile = namesFile || dispositions == 0;
        _partBytes = 0;
        _sizeDependent = false;
        _blockPending = false;
        if (_partIsFile)
        {
            Files++;
            // With its size unknown, a size filter matches (the strictest answer): Allow or Audit then stands at any size,
            // and it is the answer at every size from the largest size filter up.
            FileDecision unknownSize = Decide(null);
            if (unknownSize.Action == FileAction.Block)
            {
                _unknownSize = unknownSize;
                _sizeDependent = true;
                _nextSizeCheck = SizeCheckStep;
                FileDecision empty = Decide(0);
                if (empty.Action == FileAction.Block)
                {
                    if (SameAnswer(empty, unknownSize))
                    {
                        Block(UnknownSize(empty)); // blocked alike whatever its size, before any of it arrived: recorded without one
                    }

                    _blockPending = true; // its delimiter and headers stay held, and are dropped with it
                    return;
                }
            }
        }

        Release();
    }

    private void Grow(int bytes, bool partEnds)
    {
        if (!_partIsFile)
        {
            return;
        }

        long after = _partBytes + bytes;
        if (_sizeDependent && !partEnds && after >= _nextSizeCheck)
        {
            // A larger size only adds matching policies, and a Block policy ranks over any other: once blocked, blocked
            // at every larger size, and by this policy once it is the one blocking at any size.
            FileDecision reached = Decide(after);
            if (reached.Action == FileAction.Block)
            {
                if (SameAnswer(reached, _unknownSize!))
                {
                    Block(reached);
                }

                _blockPending = true;
            }

            _nextSizeCheck = (after / SizeCheckStep + 1) * SizeCheckStep;
        }

        _partBytes = after;
        if (partEnds)
        {
            FileDecision final = Decide(after);
            Note(final);
            if (final.Action == FileAction.Block)
            {
                Block(final);
            }
        }
    }

    /// <summary>True when the user would see the same answer: the same action, policy and block message.</summary>
    private static bool SameAnswer(FileDecision a, FileDecision b) =>
        a.Action == b.Action && a.Policy == b.Policy && a.BlockMessage == b.BlockMessage;

    private static FileDecision UnknownSize(FileDecision decision) => new()
    {
        Action = decision.Action,
        Direction = decision.Direction,
        FileName = decision.FileName,
        Extension = decision.Extension,
        SizeBytes = null,
        AppControlMode = decision.AppControlMode,
        Policy = decision.Policy,
        MatchedPolicies = decision.MatchedPolicies,
        BlockMessage = decision.BlockMessage,
        Reasons = decision.Reasons,
    };

    private FileDecision Decide(long? size) => FileDecisions.Strictest(_decide, FileTransferDirection.Upload, _names, size);

    private void Note(FileDecision decision)
    {
        if (Decisive is null || decision.Action > Decisive.Action)
        {
            Decisive = decision;
        }
    }

    private void Block(FileDecision decision)
    {
        Decisive = decision;
        Refuse(new UploadRefusedException($"The upload of '{decision.FileName}' is blocked by session control."));
    }

    private void Fail(string problem)
    {
        Problem = problem;
        Refuse(new UploadRefusedException($"The multipart body was refused: {problem}."));
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Refuse(UploadRefusedException failure)
    {
        _outEnd = _outReleased; // what was held for the refused part is never passed on
        _failure = failure;
        throw failure;
    }

    private void Release() => _outReleased = _outEnd;

    private void Consume(int count) => _inStart += count;

    private void Emit(ReadOnlySpan<byte> bytes, bool release)
    {
        if (_outEnd + bytes.Length > _out.Length)
        {
            if (_outStart > 0)
            {
                _out.AsSpan(_outStart, _outEnd - _outStart).CopyTo(_out);
                _outReleased -= _outStart;
                _outEnd -= _outStart;
                _outStart = 0;
            }

            if (_outEnd + bytes.Length > _out.Length)
            {
                byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(_out.Length * 2, _outEnd + bytes.Length));
                _out.AsSpan(0, _outEnd).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_out);
                _out = larger;
            }
        }

        bytes.CopyTo(_out.AsSpan(_outEnd));
        _outEnd += bytes.Length;
        if (release)
        {
            _outReleased = _outEnd;
        }
    }
}
