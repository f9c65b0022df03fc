using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace CasbGateway.Hosting;

/// <summary>
/// Bounds the TLS handshakes in flight at once. A handshake holds more native and managed memory than the connection
/// it leaves behind (OpenSSL's handshake buffers and state, the peer's certificate being parsed, SslStream's buffers),
/// and a burst of new connections (1,000 clients at once, as the benchmark's 1,000-connection phase opens them) had
/// them all in flight together: the peak of RSS was the burst's handshakes, not the connections held after them. On 2
/// cores the gateway completes some 350 handshakes a second whatever their number in flight, so more in flight than
/// a few dozen only adds memory. Kestrel's connection pipeline runs this before <c>UseHttps</c> (the slot is taken
/// before the first byte of TLS) and <see cref="HandshakeDone"/> after it (the slot is given back once the handshake
/// is done, before the connection's first request).
/// <para>
/// Never a refusal, and never a cheap way to stall the gateway. A connection takes a slot only once its client has
/// sent the first bytes of its handshake (a TCP connection that sends nothing takes none, and is closed after
/// <c>firstBytesWait</c>, as Kestrel's handshake timeout would close it). It waits for a slot at most
/// <c>maxWait</c>, then handshakes without one. A slot held longer than <c>lease</c> (a client that does not finish its
/// handshake: it waits on the client, not on the gateway's CPU) is given to the next connection, so keeping the gate
/// shut takes a new ClientHello per slot and lease, each of which costs the gateway the signature and key exchange it
/// would cost without the gate; the most a legitimate connection then waits is about one lease.
/// </para>
/// </summary>
internal sealed class HandshakeGate
{
    private readonly SemaphoreSlim _slots;
    private readonly TimeSpan _maxWait;
    private readonly TimeSpan _lease;
    private readonly TimeSpan _firstBytesWait;
    private long _slotted;
    private long _doneAtHandshake;
    private long _unslotted;

    public HandshakeGate(int slots, TimeSpan maxWait, TimeSpan lease, TimeSpan? firstBytesWait = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        Slots = slots;
        _slots = new SemaphoreSlim(slots, slots);
        _maxWait = maxWait;
        _lease = lease;
        _firstBytesWait = firstBytesWait ?? FirstBytesWait;
    }

    /// <summary>
    /// The gateway's gate: 32 handshakes in flight per core (64 on the benchmark's 2 cores), a wait of at most 5 s (half
    /// of Kestrel's handshake timeout: a burst of 1,000 new connections takes about 3 s to handshake on 2 cores, and all of
    /// it stays under the gate) and a lease of 1 s (a handshake takes milliseconds of the gateway's CPU, and with 64 in
    /// flight on 2 cores about 0.2 s from its slot to its end).
    /// </summary>
    public static HandshakeGate ForProcessors(int processors) =>
        new(32 * Math.Max(1, processors), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));

    /// <summary>How long a new connection may take to send its first bytes: Kestrel's default handshake timeout.</summary>
    public static TimeSpan FirstBytesWait { get; } = TimeSpan.FromSeconds(10);

    public int Slots { get; }

    /// <summary>Slots free now.</summary>
    public int Free => _slots.CurrentCount;

    /// <summary>Handshakes that had a slot.</summary>
    public long Slotted => Interlocked.Read(ref _slotted);

    /// <summary>Slots given back at the end of their handshake (the rest: a failed handshake, or the lease).</summary>
    public long DoneAtHandshake => Interlocked.Read(ref _doneAtHandshake);

    /// <summary>Connections that waited the longest wait and went on without a slot.</summary>
    public long Unslotted => Interlocked.Read(ref _unslotted);

    /// <summary>Before <c>UseHttps</c>: waits for a slot, then runs the handshake and the rest of the connection.</summary>
    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (!await ClientHasSentAsync(connection, _firstBytesWait).ConfigureAwait(false))
        {
            // Nothing within the handshake's time, or the client closed: returning closes the connection.
            return;
        }

        bool held;
        try
        {
            held = await _slots.WaitAsync(_maxWait, connection.ConnectionClosed).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client went away while it waited: there is no handshake to make.
            return;
        }

        HandshakeSlot? slot = null;
        if (held)
        {
            Interlocked.Increment(ref _slotted);
            slot = new HandshakeSlot(this, _lease);
            connection.Features.Set(slot);
        }
        else
        {
            Interlocked.Increment(ref _unslotted);
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            // A handshake that failed never reached HandshakeDone.
            slot?.Release();
        }
    }

    // Waits for the client's first bytes and leaves them unread for the TLS handshake after the gate.
    private static async Task<bool> ClientHasSentAsync(ConnectionContext connection, TimeSpan firstBytesWait)
    {
        PipeReader input = connection.Transport.Input;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        wait.CancelAfter(firstBytesWait);
        ReadResult first;
        try
        {
            first = await input.ReadAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        bool sent = !first.Buffer.IsEmpty;
        input.AdvanceTo(first.Buffer.Start);
        return sent;
    }

    /// <summary>After <c>UseHttps</c>: the handshake is done, its slot goes to the next connection.</summary>
    public static void HandshakeDone(ConnectionContext connection)
    {
        if (connection.Features.Get<HandshakeSlot>() is { } slot)
        {
            // Off the connection's features: nothing of the gate is held through them for the connection's lifetime.
            connection.Features.Set<HandshakeSlot>(null);
            if (slot.Release())
            {
                Interlocked.Increment(ref slot.Gate._doneAtHandshake);
            }
        }
    }

    /// <summary>Called once per held slot, by <see cref="HandshakeSlot"/>.</summary>
    internal void Return() => _slots.Release();
}
