using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbGateway.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// What the gateway keeps per open connection beyond what Kestrel and SslStream keep (docs/benchmarks.md, "Seventh
/// pass: memory"): a heap dump of 1,000 idle keep-alive mTLS connections found the connection's client certificate
/// object carrying a copy of its DER bytes (about 1 KB, read for the validator's cache key) and the handshake gate's
/// slot and lease timer on the connection's features, all for the connection's lifetime. Counted in bytes and objects
/// held, not timed; run alone, since the managed heap's size is process-wide.
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class ConnectionMemoryTests : IClassFixture<LabPkiFixture>
{
    private const int Connections = 4_000;
    private readonly LabPki _pki;

    public ConnectionMemoryTests(LabPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    [Fact]
    public void Validating_a_connections_certificate_object_leaves_no_copy_of_its_bytes_on_the_object()
    {
        byte[] der = _pki.Client.RawData;
        var validator = new CertificateValidator(CasbModule.Tests.Certificates.TestConfigurations.Trusting(_pki), new CrlCache(new CasbModule.Tests.Certificates.NoNetworkCrlSource()));
        DateTimeOffset now = DateTimeOffset.UtcNow;

        // Each connection presents its own certificate object, as Kestrel hands a connection's requests one object.
        using (X509Certificate2 first = X509CertificateLoader.LoadCertificate(der))
        {
            Assert.True(validator.Validate(first, now).IsValid);
        }

        X509Certificate2[] presented = Enumerable.Range(0, Connections).Select(_ => X509CertificateLoader.LoadCertificate(der)).ToArray();
        try
        {
            long before = GC.GetTotalMemory(forceFullCollection: true);
            foreach (X509Certificate2 certificate in presented)
            {
                Assert.True(validator.Validate(certificate, now).IsValid);
            }

            long held = GC.GetTotalMemory(forceFullCollection: true) - before;
            GC.KeepAlive(presented);
            long perConnection = held / Connections;

            // What stays is the validator's weak entry per object (tens of bytes); a copy of the DER bytes kept on the
            // object (RawData/RawDataMemory) was about der.Length + 24 more per connection.
            Assert.True(
                perConnection < der.Length / 4,
                $"validating {Connections:N0} certificate objects ({der.Length} DER bytes each) left {perConnection} bytes held per object.");
            Assert.Equal(1, validator.CachedResultCount);
        }
        finally
        {
            foreach (X509Certificate2 certificate in presented)
            {
                certificate.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_handshake_slot_given_back_leaves_the_connection_and_drops_its_lease_timer()
    {
        var gate = new HandshakeGate(1, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5));
        DefaultConnectionContext connection = HandshakeGateTests.Sent();
        HandshakeSlot? slot = null;
        bool heldDuringHandshake = false;
        var handshaken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task running = gate.OnConnectionAsync(connection, async c =>
        {
            slot = c.Features.Get<HandshakeSlot>();
            heldDuringHandshake = slot is { HoldsLease: true };
            HandshakeGate.HandshakeDone(c);
            handshaken.SetResult();
            await open.Task; // the connection's requests: it stays open
        });

        await handshaken.Task.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.NotNull(slot);
        Assert.True(heldDuringHandshake);

        // Open after its handshake: nothing of the gate on the connection's features, the slot's timer gone.
        Assert.Null(connection.Features.Get<HandshakeSlot>());
        Assert.False(slot!.HoldsLease);
        Assert.Equal(1, gate.Free);
        Assert.Equal(1, gate.DoneAtHandshake);

        open.SetResult();
        await running.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, gate.Free);
    }

    [Fact]
    public async Task A_logging_scope_opened_for_a_connection_leaves_nothing_in_its_execution_context_and_the_console_logger_stays()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        ILoggerFactory factory = harness.GatewayServices.GetRequiredService<ILoggerFactory>();
        ILogger kestrel = factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");
        Assert.True(kestrel.IsEnabled(LogLevel.Critical)); // what makes Kestrel open its scope per connection

        // As Kestrel does for every connection: the scope made no async-local, so no execution context holds it.
        ExecutionContext? before = ExecutionContext.Capture();
        using (kestrel.BeginScope(new Dictionary<string, object> { ["ConnectionId"] = "0HN0TEST" }))
        {
            Assert.Same(before, ExecutionContext.Capture());
        }

        // The console logger is still the one provider that writes (GatewayMemoryTests reads a started gateway's log
        // lines); beside it only the HTTP/2 refusal recorder and the switch for Kestrel's refusal details, which take no
        // scopes either.
        ILoggerProvider[] providers = harness.GatewayServices.GetServices<ILoggerProvider>().ToArray();
        Assert.Single(providers.OfType<ScopelessLoggerProvider>());
        Assert.All(providers, p => Assert.True(p is ScopelessLoggerProvider or CasbGateway.Activity.Http2RefusalLoggerProvider or CasbGateway.Activity.BadRequestDetailLoggerProvider, p.GetType().Name));
        Assert.DoesNotContain(providers, p => p is ISupportExternalScope);
    }

    [Theory]
    [InlineData("Console", 0)]
    [InlineData("CasbGateway.Hosting.ScopelessLoggerProvider", 0)]
    [InlineData("Other", 1)]
    public void A_log_level_set_for_the_console_logger_by_its_alias_still_applies_to_it_without_scopes(string provider, int written)
    {
        // What an admin sets as Logging__Console__LogLevel__Default=None in the gateway's environment.
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{provider}:LogLevel:Default"] = "None" })
            .Build();
        var inner = new CountingProvider();
        using ServiceProvider services = new ServiceCollection()
            .AddLogging(logging => logging.AddConfiguration(configuration).AddProvider(new ScopelessLoggerProvider(inner)))
            .BuildServiceProvider();

        services.GetRequiredService<ILoggerFactory>().CreateLogger("CasbGateway").LogWarning("a line");

        Assert.Equal(written, inner.Written);
    }

    private sealed class CountingProvider : ILoggerProvider, ILogger
    {
        public int Written { get; private set; }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Written++;

        public void Dispose()
        {
        }
    }
}
