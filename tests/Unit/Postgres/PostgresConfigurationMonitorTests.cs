using CasbCore.Model;
using CasbCore.Store;
using CasbCore.Store.Postgres;
using CasbGateway.Configuration;
using CasbGateway.Hosting;
using CasbGateway.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CasbModule.Tests.Postgres;

/// <summary>The gateway's configuration provider on a PostgreSQL store: a change arrives by LISTEN/NOTIFY, not by polling.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresConfigurationMonitorTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_revision_committed_by_another_writer_is_served_without_waiting_for_a_poll()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresConfigurationMonitorTests));
        using var gatewayStore = new PostgresStore(PostgresStoreUri.Parse(uri));
        using var adminStore = new PostgresStore(PostgresStoreUri.Parse(uri));
        adminStore.Update(c => c.Groups.Add(new GroupEntry { Name = "first" }));
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        // Polling once an hour: only the notification can bring the change within the test's wait.
        var options = new GatewayOptions { StorePath = uri, ConfigurationPollInterval = TimeSpan.FromHours(1) };
        using var monitor = new ConfigurationMonitor(
            options, gatewayStore, new GatewayMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<ConfigurationMonitor>.Instance);
        monitor.LoadInitial();
        Assert.Equal(1, monitor.Current!.Revision);
        var served = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        monitor.Changed += state => served.TrySetResult(state.Revision);
        await monitor.StartAsync(CancellationToken.None);
        await Task.Delay(500); // the listener connects (and checks once)

        adminStore.Update(c => c.Groups.Add(new GroupEntry { Name = "second" }));

        Assert.Equal(2, await served.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["first", "second"], monitor.Current!.Engine.Configuration.Groups.Select(g => g.Name));
        Assert.Null(monitor.Degraded);
        await monitor.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_database_that_goes_away_keeps_the_last_good_revision_serving_and_degraded_until_it_returns()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresConfigurationMonitorTests));
        using var gatewayStore = new PostgresStore(PostgresStoreUri.Parse(uri));
        gatewayStore.Update(c => c.Groups.Add(new GroupEntry { Name = "kept" }));
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new GatewayOptions { StorePath = uri, ConfigurationPollInterval = TimeSpan.FromHours(1) };
        using var monitor = new ConfigurationMonitor(
            options, gatewayStore, new GatewayMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<ConfigurationMonitor>.Instance);
        monitor.LoadInitial();

        postgres.Cluster.Stop();
        try
        {
            monitor.Reload();
            Assert.Equal(1, monitor.Current!.Revision);
            Assert.Contains("cannot read the store", monitor.Degraded);
        }
        finally
        {
            postgres.Cluster.Restart();
        }

        monitor.Reload();
        Assert.True(monitor.Degraded is null, monitor.Degraded);
        Assert.Equal("kept", Assert.Single(monitor.Current!.Engine.Configuration.Groups).Name);
    }
}
