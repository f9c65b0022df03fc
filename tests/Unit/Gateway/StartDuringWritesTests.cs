using CasbCore.Model;
using CasbCore.SignIn;
using CasbCore.Store;
using CasbGateway.Configuration;
using CasbGateway.Hosting;
using CasbGateway.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A gateway starting while a runbook writes the store (Add-CasbAccessPolicy in a loop) reads casb.json, then the secrets
/// beside it, then casb.json again: each write between the two reads makes it read again. A burst of more writes than a
/// fixed count of reads failed the start; it now reads until one read is whole or a deadline passes, never serving a
/// half-read store.
/// </summary>
public sealed class StartDuringWritesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("casb-startwrites-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(20)]
    public void A_start_during_a_burst_of_writes_loads_the_revision_after_the_burst(int writes)
    {
        var store = SignInStore();
        var racing = new WriteOnSecretsRead(store, writes);
        using var monitor = Monitor(racing, TimeSpan.FromSeconds(30));

        monitor.LoadInitial();

        Assert.Equal(0, racing.WritesLeft);
        Assert.Equal(store.Load().Revision, monitor.Current!.Revision);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(store.ReadDocument()!)), monitor.Current.ContentHash);
        Assert.Equal($"secret-{writes}", monitor.Current.SignIn!.ClientSecret);
    }

    [Fact]
    public void A_store_that_never_stops_changing_fails_the_start_at_the_deadline_saying_so()
    {
        var racing = new WriteOnSecretsRead(SignInStore(), int.MaxValue);
        using var monitor = Monitor(racing, TimeSpan.FromSeconds(1));

        var started = System.Diagnostics.Stopwatch.StartNew();
        GatewayStartupException error = Assert.Throws<GatewayStartupException>(monitor.LoadInitial);

        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.Contains("kept changing while it was read", error.Message);
        Assert.Null(monitor.Current);
    }

    private CasbStore SignInStore()
    {
        var store = new CasbStore(_folder);
        store.Update((c, secrets) =>
        {
            IdentityProviderCatalog.Set(c, secrets, new IdentityProviderChange
            {
                Name = "Contoso", Authority = "https://login.contoso.invalid/tenant/v2.0", ClientId = "gateway", ClientSecret = "secret-0", SessionLifetimeMinutes = 60,
            }, DateTimeOffset.UtcNow);
            c.Apps.Add(new AppEntry { Name = "Portal", Upstream = "https://portal.contoso.invalid", Hostnames = { "portal.contoso.invalid" }, SignIn = SignInMode.Optional });
            return c;
        });
        return store;
    }

    private ConfigurationMonitor Monitor(IConfigurationStore store, TimeSpan readTimeout)
    {
        ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new GatewayOptions { StorePath = _folder, ConfigurationPollInterval = TimeSpan.FromHours(1), StoreReadTimeout = readTimeout };
        return new ConfigurationMonitor(
            options, store, new GatewayMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<ConfigurationMonitor>.Instance);
    }

    // Another writer's commit lands between the gateway's read of the secrets and its second read of the document.
    private sealed class WriteOnSecretsRead(CasbStore store, int writes) : IConfigurationStore
    {
        private int _written;

        public int WritesLeft => writes - _written;

        public string Location => store.Location;
        public string DocumentName => store.DocumentName;
        public string LocalDirectory => store.LocalDirectory;
        public string ActivityDirectory => store.ActivityDirectory;
        public byte[]? ReadDocument() => store.ReadDocument();
        public string? DocumentHash() => store.DocumentHash();
        public CasbConfiguration Load() => store.Load();
        public long Write(CasbConfiguration configuration, long expectedRevision) => store.Write(configuration, expectedRevision);
        public T Update<T>(Func<CasbConfiguration, T> mutate) => store.Update(mutate);
        public T Update<T>(Func<CasbConfiguration, StoreSecrets, T> mutate) => store.Update(mutate);

        public StoreSecrets LoadSecrets()
        {
            StoreSecrets secrets = store.LoadSecrets();
            if (_written < writes)
            {
                int i = ++_written;
                store.Update((c, s) => IdentityProviderCatalog.Set(c, s, new IdentityProviderChange { ClientSecret = $"secret-{i}" }, DateTimeOffset.UtcNow));
            }

            return secrets;
        }

        public byte[]? ReadBlob(string name) => store.ReadBlob(name);
        public void WriteBlob(string name, ReadOnlySpan<byte> content) => store.WriteBlob(name, content);
        public bool TryAddBlob(string name, ReadOnlySpan<byte> content) => store.TryAddBlob(name, content);
        public bool TryReplaceBlob(string name, ReadOnlySpan<byte> expected, ReadOnlySpan<byte> content) => store.TryReplaceBlob(name, expected, content);
        public long Replace(CasbConfiguration configuration, long expectedRevision, IReadOnlyDictionary<string, byte[]> blobs) => store.Replace(configuration, expectedRevision, blobs);
        public IReadOnlyList<string> ListBlobs(string prefix) => store.ListBlobs(prefix);
        public IDisposable WatchChanges(Action changed, Action<string> failed) => store.WatchChanges(changed, failed);
    }
}
