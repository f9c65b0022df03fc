namespace CasbGateway.Hosting;

/// <summary>One held slot: given back once, by whichever comes first of the handshake's end, its failure and the lease.</summary>
internal sealed class HandshakeSlot
{
    private HandshakeGate? _gate;
    private Timer? _lease;

    public HandshakeSlot(HandshakeGate gate, TimeSpan lease)
    {
        Gate = gate;
        _gate = gate;
        // A lease so short that it ends before this assignment leaves a one-shot timer behind, nothing more.
        _lease = new Timer(static state => ((HandshakeSlot)state!).Release(), this, lease, Timeout.InfiniteTimeSpan);
    }

    public HandshakeGate Gate { get; }

    /// <summary>Whether the slot still holds its lease timer (tests: it goes when the slot is given back).</summary>
    internal bool HoldsLease => Volatile.Read(ref _lease) is not null;

    /// <summary>Gives the slot back; true the first time only.</summary>
    public bool Release()
    {
        if (Interlocked.Exchange(ref _gate, null) is not { } gate)
        {
            return false;
        }

        // The timer goes with the slot's end: the slot itself lives as long as its connection (the gate's frame keeps it
        // for a failed handshake), and a disposed timer still holds its queue entry (about 150 B per open connection).
        Interlocked.Exchange(ref _lease, null)?.Dispose();
        gate.Return();
        return true;
    }
}
