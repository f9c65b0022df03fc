using System.IO.Pipelines;
using System.Net;
using CasbCore.Certificates;
using CasbGateway.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The gate in front of the TLS handshake (docs/benchmarks.md, "Sixth pass: memory"): at most its slots handshake at
/// once, every way a handshake ends gives its slot back, and neither a client that stalls its handshake nor a full gate
/// refuses or stalls anyone for good. The gate's own object with handshakes made to order here; the real gateway with
/// a burst of real TLS clients below.
/// </summary>
public sealed class HandshakeGateTests : IClassFixture<LabPkiFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);
    private readonly LabPki _pki;

    public HandshakeGateTests(LabPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    [Fact]
    public async Task At_most_the_gates_slots_handshake_at_once_and_each_finished_handshake_lets_the_next_one_in()
    {
        var gate = new HandshakeGate(2, Long, Long);
        var flight = new Flight();
        var handshakes = Enumerable.Range(0, 5).Select(_ => new Handshake(flight)).ToArray();
        Task[] connections = handshakes.Select(h => gate.OnConnectionAsync(Sent(), h.RunAsync)).ToArray();

        await Task.WhenAll(handshakes[0].Started.Task, handshakes[1].Started.Task);
        Assert.Equal(0, gate.Free);
        Assert.Equal(2, handshakes.Count(h => h.Started.Task.IsCompleted));

        // Each handshake done lets exactly one more in (its connection keeps running: the slot is for the handshake).
        for (int done = 0; done < 3; done++)
        {
            handshakes[done].Finish.SetResult();
            await handshakes[done + 2].Started.Task.WaitAsync(Long);
            Assert.Equal(done + 3, handshakes.Count(h => h.Started.Task.IsCompleted));
        }

        handshakes[3].Finish.SetResult();
        handshakes[4].Finish.SetResult();
        foreach (Handshake h in handshakes)
        {
            h.Close.SetResult();
        }

        await Task.WhenAll(connections).WaitAsync(Long);
        Assert.Equal(2, gate.Free);
        Assert.Equal(2, flight.Most);
        Assert.Equal(0, gate.Unslotted);
    }

    [Fact]
    public async Task A_failed_handshake_and_a_client_that_left_while_it_waited_give_their_slots_back()
    {
        var gate = new HandshakeGate(1, Long, Long);
        await Assert.ThrowsAsync<IOException>(() => gate.OnConnectionAsync(Sent(), _ => throw new IOException("handshake failed")));
        Assert.Equal(1, gate.Free);

        // The slot is taken; a second client waits, then closes its connection: it never reaches the handshake.
        var holder = new Handshake(new Flight());
        Task held = gate.OnConnectionAsync(Sent(), holder.RunAsync);
        await holder.Started.Task;
        using var closed = new CancellationTokenSource();
        bool reached = false;
        Task waiting = gate.OnConnectionAsync(Sent(closed.Token), _ =>
        {
            reached = true;
            return Task.CompletedTask;
        });
        Assert.False(waiting.IsCompleted);
        await closed.CancelAsync();
        await waiting.WaitAsync(Long);
        Assert.False(reached);

        holder.End();
        await held.WaitAsync(Long);
        Assert.Equal(1, gate.Free);
    }

    [Fact]
    public async Task A_handshake_that_outlasts_its_lease_gives_its_slot_to_the_next_connection()
    {
        // A client that never finishes its handshake keeps the only slot; the lease gives it to the next one anyway.
        var gate = new HandshakeGate(1, Long, TimeSpan.FromMilliseconds(100));
        var stalled = new Handshake(new Flight());
        Task first = gate.OnConnectionAsync(Sent(), stalled.RunAsync);
        await stalled.Started.Task;

        var next = new Handshake(new Flight());
        Task second = gate.OnConnectionAsync(Sent(), next.RunAsync);
        await next.Started.Task.WaitAsync(Long);
        Assert.Equal(0, gate.Unslotted);

        // The stalled handshake ending later gives back nothing twice (a semaphore released past its count throws).
        next.End();
        stalled.End();
        await Task.WhenAll(first, second).WaitAsync(Long);
        Assert.Equal(1, gate.Free);
    }

    [Fact]
    public async Task A_connection_that_waited_the_longest_wait_handshakes_without_a_slot()
    {
        var gate = new HandshakeGate(1, TimeSpan.FromMilliseconds(100), Long);
        var holder = new Handshake(new Flight());
        Task held = gate.OnConnectionAsync(Sent(), holder.RunAsync);
        await holder.Started.Task;

        var late = new Handshake(new Flight());
        Task unslotted = gate.OnConnectionAsync(Sent(), late.RunAsync);
        await late.Started.Task.WaitAsync(Long);
        Assert.Equal(1, gate.Unslotted);
        late.End();
        await unslotted.WaitAsync(Long);
        Assert.Equal(0, gate.Free);

        holder.End();
        await held.WaitAsync(Long);
        Assert.Equal(1, gate.Free);
    }

    [Fact]
    public async Task A_connection_takes_a_slot_only_once_its_client_has_sent_and_a_silent_one_is_closed_without_one()
    {
        var gate = new HandshakeGate(1, Long, Long, firstBytesWait: TimeSpan.FromMilliseconds(300));

        // A client that connects and sends nothing: it waits without the only slot, then its connection ends unhandshaken.
        bool silentReached = false;
        Task silent = gate.OnConnectionAsync(Silent(out _), _ =>
        {
            silentReached = true;
            return Task.CompletedTask;
        });
        Assert.Equal(1, gate.Free);

        // One that sends its ClientHello meanwhile gets the slot at once, and the handshake reads the bytes the gate saw.
        byte first = 0;
        await gate.OnConnectionAsync(Sent(), async connection =>
        {
            ReadResult read = await connection.Transport.Input.ReadAsync();
            first = read.Buffer.FirstSpan[0];
            connection.Transport.Input.AdvanceTo(read.Buffer.End);
            HandshakeGate.HandshakeDone(connection);
        }).WaitAsync(Long);
        Assert.Equal(0x16, first);

        await silent.WaitAsync(Long);
        Assert.False(silentReached);
        Assert.Equal(1, gate.Slotted);
        Assert.Equal(1, gate.Free);

        // A client that closes before it sends anything: no slot, no handshake.
        bool closedReached = false;
        DefaultConnectionContext closing = Silent(out PipeWriter client);
        Task closed = gate.OnConnectionAsync(closing, _ =>
        {
            closedReached = true;
            return Task.CompletedTask;
        });
        await client.CompleteAsync();
        await closed.WaitAsync(Long);
        Assert.False(closedReached);
        Assert.Equal(1, gate.Slotted);
    }

    [Fact]
    public async Task A_burst_of_more_clients_than_the_gateways_slots_all_handshake_through_the_gate_and_are_answered()
    {
        // The gateway with a gate of 2 slots that waits 30 s at most (a handshake takes milliseconds) and never leases:
        // 24 new TLS connections at once, each with a certificate, two requests each (the second on the handshaken
        // connection). A slot not given back at the handshake's end would keep the other 22 waiting the whole 30 s.
        var gate = new HandshakeGate(2, TimeSpan.FromSeconds(30), Long);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(
            c =>
            {
                c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Root, DateTimeOffset.UtcNow));
                c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Intermediate, DateTimeOffset.UtcNow));
            },
            configureServices: services => services.AddSingleton(gate));

        const int Clients = 24;
        long before = gate.Slotted;
        var all = new List<HttpClient>();
        try
        {
            for (int i = 0; i < Clients; i++)
            {
                all.Add(harness.CreateClient(_pki.Client));
            }

            HttpStatusCode[][] answers = await Task.WhenAll(all.Select(async client =>
            {
                var codes = new HttpStatusCode[2];
                for (int r = 0; r < 2; r++)
                {
                    using HttpResponseMessage response = await client.GetAsync("/");
                    codes[r] = response.StatusCode;
                }

                return codes;
            }));

            // Every one answered by the engine and proxied; every handshake went through the gate and gave its slot back
            // as the handshake ended, while its connection stays open (the connections are still open here).
            Assert.All(answers.SelectMany(a => a), code => Assert.Equal(HttpStatusCode.OK, code));
            Assert.Equal(Clients, gate.Slotted - before);
            Assert.Equal(gate.Slotted, gate.DoneAtHandshake);
            Assert.Equal(2, gate.Free);
            Assert.Equal(0, gate.Unslotted);
        }
        finally
        {
            all.ForEach(c => c.Dispose());
        }
    }

    // A connection whose client has sent the first byte of a TLS ClientHello (record type 22, handshake).
    internal static DefaultConnectionContext Sent(CancellationToken closed = default)
    {
        DefaultConnectionContext connection = Silent(out PipeWriter client, closed);
        client.WriteAsync(new byte[] { 0x16 }).AsTask().GetAwaiter().GetResult();
        return connection;
    }

    // A connection whose client has sent nothing yet; it writes through the writer returned.
    private static DefaultConnectionContext Silent(out PipeWriter client, CancellationToken closed = default)
    {
        var fromClient = new Pipe();
        var toClient = new Pipe();
        client = fromClient.Writer;
        return new DefaultConnectionContext(Guid.NewGuid().ToString("N"), new Transport(fromClient.Reader, toClient.Writer), new Transport(toClient.Reader, fromClient.Writer))
        {
            ConnectionClosed = closed,
        };
    }

    private sealed class Transport(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class Flight
    {
        private readonly Lock _lock = new();
        private int _now;

        public int Most { get; private set; }

        public void Enter()
        {
            lock (_lock)
            {
                Most = Math.Max(Most, ++_now);
            }
        }

        public void Leave()
        {
            lock (_lock)
            {
                _now--;
            }
        }
    }

    private sealed class Handshake(Flight flight)
    {

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Finish { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Close { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // The handshake finishes and its connection closes.
        public void End()
        {
            Finish.SetResult();
            Close.SetResult();
        }

        // What Kestrel's pipeline past the gate does: the handshake, HandshakeDone, then the connection's requests.
        public async Task RunAsync(ConnectionContext connection)
        {
            flight.Enter();
            Started.SetResult();
            await Finish.Task;
            flight.Leave();
            HandshakeGate.HandshakeDone(connection);
            await Close.Task;
        }
    }
}
