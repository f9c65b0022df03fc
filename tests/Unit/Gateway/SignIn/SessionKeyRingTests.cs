using System.Net;
using CasbCore.Activity;
using CasbCore.Model;
using CasbCore.SignIn;
using CasbGateway.Configuration;
using CasbGateway.SignIn;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using CasbCore.Store;
using CasbCore.Store.Postgres;
using CasbModule.Tests.Postgres;

namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>
/// Replicas of one store share its data-protection keys: gateways that start together on an empty keys folder make one
/// key between them, so a session cookie issued by one is read by every other, also after their key rings are cached.
/// The same on a database store, whose key ring is in its shared blobs.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SessionKeyRingTests : IClassFixture<SignInFixture>
{
    private readonly SignInFixture _fixture;
    private readonly PostgresFixture _postgres;

    public SessionKeyRingTests(SignInFixture fixture, PostgresFixture postgres)
    {
        _fixture = fixture;
        _postgres = postgres;
    }

    [Theory]
    [InlineData("folder", 2)]
    [InlineData("folder", 8)]
    [InlineData("postgresql", 2)]
    [InlineData("postgresql", 8)]
    public void Gateways_starting_together_on_an_empty_key_ring_make_one_key_and_read_each_others_data(string kind, int gateways)
    {
        string folder = Directory.CreateTempSubdirectory("casb-keys-").FullName;
        string? database = kind == "postgresql" ? _postgres.Cluster.Uri(_postgres.CreateDatabase("keys")) : null;
        int KeyCount()
        {
            if (database is null)
            {
                return Directory.GetFiles(folder, "*.xml").Length;
            }

            using var store = new PostgresStore(PostgresStoreUri.Parse(database));
            return store.ListBlobs(StoreBlobNames.KeysFolder).Count;
        }

        // Writes that take a while (a shared disk, a remote database) leave room for the race: all replicas find the
        // ring empty. Each replica has its own handle on the database, as gateways on other hosts do.
        ServiceProvider[] replicas = Enumerable.Range(0, gateways)
            .Select(_ => database is null
                ? Replica(folder, writeDelay: TimeSpan.FromMilliseconds(300))
                : DatabaseReplica(database, writeDelay: TimeSpan.FromMilliseconds(300)))
            .ToArray();
        try
        {
            using var start = new Barrier(gateways);
            bool[] created = new bool[gateways];
            Parallel.For(0, gateways, new ParallelOptions { MaxDegreeOfParallelism = gateways }, i =>
            {
                SessionKeyRing ring = replicas[i].GetRequiredService<SessionKeyRing>();
                start.SignalAndWait();
                created[i] = ring.EnsureActiveKey();
            });

            Assert.Single(created, c => c);
            Assert.Equal(1, KeyCount());
            // Each replica's key ring, built now and cached from here on, reads what every other protected.
            string[] protectedBy = replicas.Select((r, i) => Protector(r).Protect($"session {i}")).ToArray();
            for (int reader = 0; reader < gateways; reader++)
            {
                for (int writer = 0; writer < gateways; writer++)
                {
                    Assert.Equal($"session {writer}", Protector(replicas[reader]).Unprotect(protectedBy[writer]));
                }
            }

            Assert.False(replicas[0].GetRequiredService<SessionKeyRing>().EnsureActiveKey()); // a restart adds none
            Assert.Equal(1, KeyCount());
        }
        finally
        {
            foreach (ServiceProvider replica in replicas)
            {
                replica.Dispose();
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_folder_whose_only_key_expired_gets_a_new_active_key()
    {
        string folder = Directory.CreateTempSubdirectory("casb-keys-").FullName;
        using ServiceProvider replica = Replica(folder);
        try
        {
            IKeyManager keys = replica.GetRequiredService<IKeyManager>();
            keys.CreateNewKey(DateTimeOffset.UtcNow.AddDays(-100), DateTimeOffset.UtcNow.AddDays(-10));

            Assert.True(replica.GetRequiredService<SessionKeyRing>().EnsureActiveKey());

            Assert.Equal(2, Directory.GetFiles(folder, "*.xml").Length);
            Assert.Contains(keys.GetAllKeys(), k => k.ActivationDate <= DateTimeOffset.UtcNow && k.ExpirationDate > DateTimeOffset.UtcNow.AddDays(80));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Two_gateways_on_one_store_read_each_others_session_cookies()
    {
        await using SignInHarness harness = await SignInHarness.StartAsync(_fixture, replicas: 1);
        Uri replica = Assert.Single(harness.Gateway.ReplicaUrls);
        Assert.Single(Directory.GetFiles(harness.Gateway.Store.KeysDirectory, "*.xml"));

        // Signed in at each gateway, each has built and cached its key ring before it sees the other's cookie.
        using SignInHarness.Browser atFirst = harness.CreateBrowser();
        using SignInHarness.Browser atReplica = harness.CreateBrowser(gateway: replica);
        using (HttpResponseMessage first = await atFirst.SignInAsync(SignInHarness.Admin, "/first"))
        using (HttpResponseMessage second = await atReplica.SignInAsync(SignInHarness.Admin, "/second"))
        {
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        }

        Assert.Single(Directory.GetFiles(harness.Gateway.Store.KeysDirectory, "*.xml"));
        foreach ((SignInHarness.Browser browser, Uri other) in new[] { (atFirst, replica), (atReplica, harness.Gateway.GatewayUrl) })
        {
            using SignInHarness.Browser elsewhere = harness.CreateBrowser(followRedirects: false, gateway: other);
            elsewhere.Cookies.Add(new Cookie(SignInSchemes.SessionCookie, browser.SessionCookie!.Value, "/", other.Host) { Secure = true });

            using HttpResponseMessage response = await elsewhere.Client.GetAsync("/elsewhere");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("Hello from the Casb sample app", await response.Content.ReadAsStringAsync());
        }

        ActivityRecord record = await SignInEndToEndTests.RecordAsync(harness, r => r.Path == "/elsewhere" && r.HttpStatus == 200);
        Assert.Equal(SignInHarness.Admin, record.User);
    }

    [Fact]
    public async Task A_gateway_without_sign_in_makes_no_key_and_has_one_before_it_serves_a_configuration_that_signs_users_in()
    {
        // How many keys the folder held at the moment each configuration with sign-in was swapped in (seen from the
        // monitor's Changed event, raised right after the swap, before any request could use it).
        var keysWhenServed = new System.Collections.Concurrent.ConcurrentQueue<int>();
        string? keysFolder = null;
        await using GatewayHarness gateway = await GatewayHarness.StartAsync(configureServices: services =>
            services.AddHostedService(sp => new OnConfigurationChanged(sp.GetRequiredService<ConfigurationMonitor>(), state =>
            {
                if (state.SignIn is not null)
                {
                    keysWhenServed.Enqueue(Directory.GetFiles(Volatile.Read(ref keysFolder)!, "*.xml").Length);
                }
            })));
        Volatile.Write(ref keysFolder, gateway.Store.KeysDirectory);
        using HttpClient client = gateway.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        Assert.Empty(Directory.GetFiles(gateway.Store.KeysDirectory, "*.xml"));

        gateway.Store.Update((c, secrets) =>
        {
            IdentityProviderCatalog.Set(c, secrets, new IdentityProviderChange
            {
                Name = SignInHarness.ProviderName,
                Authority = _fixture.Idp.Authority.ToString(),
                ClientId = _fixture.Idp.ClientId,
                ClientSecret = _fixture.Idp.ClientSecret,
                AuthorityCertificate = Convert.ToBase64String(_fixture.Idp.Certificate.RawData),
                SessionLifetimeMinutes = 60,
            }, DateTimeOffset.UtcNow);
            c.Apps[0].SignIn = SignInMode.Required;
            return c;
        });

        for (int i = 0; i < 200 && keysWhenServed.IsEmpty; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal([1], keysWhenServed.ToArray());
        Assert.Single(Directory.GetFiles(gateway.Store.KeysDirectory, "*.xml"));
    }

    /// <summary>The data protection of one gateway process on <paramref name="folder"/>, as the gateway registers it.</summary>
    private static ServiceProvider Replica(string folder, TimeSpan? writeDelay = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDataProtection().SetApplicationName("CasbGateway").PersistKeysToFileSystem(new DirectoryInfo(folder));
        if (writeDelay is { } delay)
        {
            services.AddOptions<KeyManagementOptions>().PostConfigure<ILoggerFactory>((options, logs) =>
                options.XmlRepository = new SlowRepository(new FileSystemXmlRepository(new DirectoryInfo(folder), logs), delay));
        }

        services.AddSingleton(sp => new SessionKeyRing(
            sp.GetRequiredService<IKeyManager>(), sp.GetRequiredService<IOptions<KeyManagementOptions>>(), new FolderKeyRingGate(folder)));
        return services.BuildServiceProvider();
    }

    /// <summary>The data protection of one gateway process on the database store <paramref name="uri"/>, as the gateway registers it.</summary>
    private static ServiceProvider DatabaseReplica(string uri, TimeSpan writeDelay)
    {
        var store = new PostgresStore(PostgresStoreUri.Parse(uri));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfigurationStore>(store);
        services.AddDataProtection().SetApplicationName("CasbGateway");
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = new SlowRepository(new StoreKeyRepository(store), writeDelay));
        services.AddSingleton(sp => new SessionKeyRing(
            sp.GetRequiredService<IKeyManager>(), sp.GetRequiredService<IOptions<KeyManagementOptions>>(), new StoreKeyRingGate(store)));
        return services.BuildServiceProvider();
    }

    /// <summary>The gateway's file repository whose writes land <paramref name="delay"/> late.</summary>
    private sealed class SlowRepository(IXmlRepository inner, TimeSpan delay) : IXmlRepository
    {
        public IReadOnlyCollection<System.Xml.Linq.XElement> GetAllElements() => inner.GetAllElements();

        public void StoreElement(System.Xml.Linq.XElement element, string friendlyName)
        {
            Thread.Sleep(delay);
            inner.StoreElement(element, friendlyName);
        }
    }

    private static IDataProtector Protector(IServiceProvider replica) =>
        replica.GetRequiredService<IDataProtectionProvider>().CreateProtector("CasbModule.Tests.SessionKeyRing");
}
