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
/// Never a refusal, and never a new way to stall the gateway: a connection waits for a slot at most
/// <c>maxWait</c>, then handshakes without one; a slot held longer than <c>lease</c> (a client that does not finish
/// its handshake: it waits on the client, not on the gateway's CPU) is given to the next connection, so clients that
/// stall their handshakes cannot keep the gate shut (Kestrel's own handshake timeout, 10 s, still ends them).
/// </para>
/// </summary>
internal sealed class HandshakeGate
{
    private readonly SemaphoreSlim _slots;
    private readonly TimeSpan _maxWait;
    private readonly TimeSpan _lease;
    private long _slotted;
    private long _doneAtHandshake;
    private long _unslotted;

    public HandshakeGate(int slots, TimeSpan maxWait, TimeSpan lease)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        Slots = slots;
        _slots = new SemaphoreSlim(slots, slots);
        _maxWait = maxWait;
        _lease = lease;
    }

    /// <summary>
    /// The gateway's gate: 32 handshakes in flight per core (64 on the benchmark's 2 cores), a wait of at most 5 s (half
    /// of Kestrel's handshake timeout) and a lease of 2 s (a handshake takes milliseconds of the gateway's CPU).
    /// </summary>
    public static HandshakeGate ForProcessors(int processors) =>
        new(32 * Math.Max(1, processors), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2));

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

    /// <summary>After <c>UseHttps</c>: the handshake is done, its slot goes to the next connection.</summary>
    public static void HandshakeDone(ConnectionContext connection)
    {
        if (connection.Features.Get<HandshakeSlot>() is { } slot && slot.Release())
        {
            Interlocked.Increment(ref slot.Gate._doneAtHandshake);
        }
    }

    /// <summary>Called once per held slot, by <see cref="HandshakeSlot"/>.</summary>
    internal void Return() => _slots.Release();
}
