using CasbGateway.Configuration;
using Microsoft.Extensions.Hosting;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Hears the configuration monitor's Changed event from the gateway's start, so before anything that subscribes later
/// (the sign-in options' change source, made at the first sign-in): a test sees each new revision right after its swap.
/// </summary>
internal sealed class OnConfigurationChanged(ConfigurationMonitor monitor, Action<EngineState> changed) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        monitor.Changed += changed;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        monitor.Changed -= changed;
        return Task.CompletedTask;
    }
}
