using CasbCore.Model;
using CasbCore.SignIn;
using CasbCore.Store;
using CasbCore.Store.Postgres;
using CasbGateway.Configuration;
using CasbGateway.Hosting;
using CasbGateway.SignIn;
using CasbGateway.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CasbModule.Tests.Postgres;

/// <summary>Sessions signed out on one gateway of a PostgreSQL store are no sessions on the others.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresEndedSessionsTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_sign_out_on_one_gateway_reaches_another_by_the_databases_notification_without_a_poll()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresEndedSessionsTests));
        using var replicaStore = new PostgresStore(PostgresStoreUri.Parse(uri));
        using var signingOutStore = new PostgresStore(PostgresStoreUri.Parse(uri));
        signingOutStore.Update((c, secrets) =>
        {
            c.Apps.Add(new AppEntry { Name = "Portal", Upstream = "https://portal.internal", Hostnames = { "portal.contoso.com" }, SignIn = SignInMode.Required });
            IdentityProviderCatalog.Set(c, secrets, new IdentityProviderChange
            {
                Name = "IdP", Authority = "https://idp.contoso.com/", ClientId = "gateway", ClientSecret = "secret",
            }, DateTimeOffset.UtcNow);
            return c;
        });
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        // Polling once an hour: only the notification can bring the sign-out within the test's wait.
        var options = new GatewayOptions { StorePath = uri, ConfigurationPollInterval = TimeSpan.FromHours(1) };
        using var monitor = new ConfigurationMonitor(
            options, replicaStore, new GatewayMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<ConfigurationMonitor>.Instance);
        monitor.LoadInitial();
        Assert.NotNull(monitor.Current!.SignIn);
        var replica = new EndedSessionSet(replicaStore, NullLogger<EndedSessionSet>.Instance);
        replica.Follow(monitor);
        Assert.True(replica.Refresh());
        await monitor.StartAsync(CancellationToken.None);
        await Task.Delay(500); // the listener connects (and checks once)

        var signingOut = new EndedSessionSet(signingOutStore, NullLogger<EndedSessionSet>.Instance);
        signingOut.End("session-1", DateTimeOffset.UtcNow.AddHours(1), DateTimeOffset.UtcNow);

        Assert.True(signingOut.Contains("session-1")); // at once on the gateway that signed out
        for (int i = 0; i < 100 && !replica.Contains("session-1"); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(replica.Contains("session-1"));
        Assert.False(replica.Contains("session-2"));
        Assert.Null(replica.Problem);
        await monitor.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void Gateways_signing_out_at_the_same_time_each_keep_their_entry_and_expired_ones_are_pruned()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresEndedSessionsTests));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        var stores = Enumerable.Range(0, 4).Select(_ => new PostgresStore(PostgresStoreUri.Parse(uri))).ToList();
        try
        {
            EndedSessions.Record(stores[0], "expired", now.AddHours(-1), now.AddHours(-2));
            string[] ids = Enumerable.Range(0, 24).Select(i => $"session-{i}").ToArray();

            Parallel.ForEach(ids, new ParallelOptions { MaxDegreeOfParallelism = 4 }, id => EndedSessions.Record(stores[id.GetHashCode() & 3], id, now.AddHours(1), now));

            Assert.Equal(ids.Order(StringComparer.Ordinal), EndedSessions.Read(stores[1]).Keys.Order(StringComparer.Ordinal));
            Assert.Equal([StoreBlobNames.EndedSessions], stores[2].ListBlobs("sessions/"));
        }
        finally
        {
            stores.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Gateways_taking_the_same_logout_token_at_the_same_time_record_it_once_and_a_replay_writes_nothing()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresEndedSessionsTests));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string marker = EndedSessions.LogoutTokenKey("idp1", "jti-1");
        var stores = Enumerable.Range(0, 4).Select(_ => new PostgresStore(PostgresStoreUri.Parse(uri))).ToList();
        try
        {
            string[] keys = Enumerable.Range(0, 12).Select(i => EndedSessions.SubjectKey("idp1", "bob", now.AddMilliseconds(i))).ToArray();
            int taken = 0;

            Parallel.For(0, keys.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            {
                if (EndedSessions.RecordUnlessUsed(stores[i & 3], keys[i], now.AddHours(1), marker, now.AddMinutes(10), now))
                {
                    Interlocked.Increment(ref taken);
                }
            });

            Assert.Equal(1, taken);
            IReadOnlyDictionary<string, DateTimeOffset> ended = EndedSessions.Read(stores[1]);
            Assert.Equal(2, ended.Count);
            Assert.Equal(now.AddMinutes(10), ended[marker]);
            Assert.Single(ended.Keys, k => k.StartsWith("sub ", StringComparison.Ordinal));

            // The same token a minute later, at another gateway: refused, and the list is left as it was.
            byte[] written = stores[2].ReadBlob(EndedSessions.BlobName)!;
            Assert.False(EndedSessions.RecordUnlessUsed(
                stores[3], EndedSessions.SubjectKey("idp1", "bob", now.AddMinutes(1)), now.AddHours(1), marker, now.AddMinutes(10), now.AddMinutes(1)));
            Assert.Equal(written, stores[0].ReadBlob(EndedSessions.BlobName));
        }
        finally
        {
            stores.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Revoking_a_user_on_a_database_store_reaches_another_gateway_by_the_notification_without_a_poll()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresEndedSessionsTests));
        using var replicaStore = new PostgresStore(PostgresStoreUri.Parse(uri));
        using var adminStore = new PostgresStore(PostgresStoreUri.Parse(uri));
        adminStore.Update((c, secrets) =>
        {
            c.Apps.Add(new AppEntry { Name = "Portal", Upstream = "https://portal.internal", Hostnames = { "portal.contoso.com" }, SignIn = SignInMode.Required });
            IdentityProviderCatalog.Set(c, secrets, new IdentityProviderChange
            {
                Name = "IdP", Authority = "https://idp.contoso.com/", ClientId = "gateway", ClientSecret = "secret",
            }, DateTimeOffset.UtcNow);
            return c;
        });
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        // Polling once an hour: only the notification can bring the revocation within the test's wait.
        var options = new GatewayOptions { StorePath = uri, ConfigurationPollInterval = TimeSpan.FromHours(1) };
        using var monitor = new ConfigurationMonitor(
            options, replicaStore, new GatewayMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<ConfigurationMonitor>.Instance);
        monitor.LoadInitial();
        var replica = new EndedSessionSet(replicaStore, NullLogger<EndedSessionSet>.Instance);
        replica.Follow(monitor);
        Assert.True(replica.Refresh());
        await monitor.StartAsync(CancellationToken.None);
        await Task.Delay(500); // the listener connects (and checks once)
        DateTimeOffset now = DateTimeOffset.UtcNow;
        System.Security.Claims.ClaimsPrincipal Session(string user) =>
            new(new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("preferred_username", user)], "test"));

        // What Revoke-CasbSession -UserName does on the admin's machine.
        EndedSessions.RevokedSessions revoked = EndedSessions.RevokeUser(adminStore, " Alice@Contoso.com ", now);

        Assert.Equal("Alice@Contoso.com", revoked.UserName);
        string key = EndedSessions.UserKey("Alice@Contoso.com", revoked.RevokedBefore);
        Assert.Equal(revoked.RevokedBefore.AddMinutes(IdentityProviderRules.MaxSessionLifetimeMinutes), Assert.Single(EndedSessions.Read(replicaStore)).Value);
        Assert.Equal(key, Assert.Single(EndedSessions.Read(replicaStore)).Key);
        for (int i = 0; i < 100 && !replica.EndsUser(Session("alice@contoso.com"), "preferred_username", now.AddMinutes(-1), null); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(replica.EndsUser(Session("alice@contoso.com"), "preferred_username", now.AddMinutes(-1), null));
        // A session she signs in with afterwards, and another user's, go on.
        Assert.False(replica.EndsUser(Session("alice@contoso.com"), "preferred_username", revoked.RevokedBefore, null));
        Assert.False(replica.EndsUser(Session("bob@contoso.com"), "preferred_username", now.AddMinutes(-1), null));
        Assert.Null(replica.Problem);
        await monitor.StopAsync(CancellationToken.None);
    }
}
