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
/// A gateway reads casb.json, then the secrets file; Set-CasbIdentityProvider writes the new secret, then casb.json, then
/// prunes the old secret. A read of casb.json before a rotation and of the secrets file after it must not serve a revision
/// whose secret is missing (sign-in failing closed for everyone until the next check).
/// </summary>
public sealed class SecretRotationReadTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("casb-secretrace-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_reload_racing_client_secret_rotations_never_serves_a_revision_without_its_secret()
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
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new GatewayOptions { StorePath = _folder, ConfigurationPollInterval = TimeSpan.FromHours(1) };
        using var monitor = new ConfigurationMonitor(
            options, new CasbStore(_folder), new GatewayMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<ConfigurationMonitor>.Instance);
        monitor.LoadInitial();

        using var done = new CancellationTokenSource();
        Task writer = Task.Run(() =>
        {
            try
            {
                for (int i = 1; i <= 300; i++)
                {
                    store.Update((c, secrets) => IdentityProviderCatalog.Set(c, secrets, new IdentityProviderChange { ClientSecret = $"secret-{i}" }, DateTimeOffset.UtcNow));
                }
            }
            finally
            {
                done.Cancel();
            }
        });

        var missing = new List<string>();
        while (!done.IsCancellationRequested)
        {
            monitor.Reload();
            if (monitor.Current!.SignIn is { } signIn && (signIn.Problem is not null || signIn.ClientSecret is null))
            {
                missing.Add($"revision {monitor.Current.Revision}: {signIn.Problem}");
            }
        }

        await writer;
        monitor.Reload();
        Assert.Empty(missing);
        Assert.Equal("secret-300", monitor.Current!.SignIn!.ClientSecret);
        Assert.Null(monitor.Degraded);
    }
}
