using System.Security.Cryptography.X509Certificates;
using CasbCore.Store;
using CasbCore.Store.Postgres;
using CasbGateway.Hosting;
using CasbGateway.SignIn;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;

namespace CasbModule.Tests.Postgres;

/// <summary>What gateways on one PostgreSQL store share through it: the sign-in keys and the self-signed server certificate.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSharedBlobsTests(PostgresFixture postgres)
{
    [Fact]
    public void A_session_cookie_protected_by_one_gateway_is_read_by_another_on_the_same_database()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresSharedBlobsTests));
        using var first = new PostgresStore(PostgresStoreUri.Parse(uri));
        using var second = new PostgresStore(PostgresStoreUri.Parse(uri));
        using ServiceProvider one = DataProtection(first);
        using ServiceProvider two = DataProtection(second);

        string cookie = one.GetDataProtector("session").Protect("vendor@fabrikam.com");

        Assert.Equal("vendor@fabrikam.com", two.GetDataProtector("session").Unprotect(cookie));
        string key = Assert.Single(first.ListBlobs(StoreBlobNames.KeysFolder));
        Assert.Matches(@"^keys/key-[0-9a-f-]{36}\.xml$", key);
    }

    [Fact]
    public void Gateways_that_start_together_on_one_database_serve_one_self_signed_certificate()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresSharedBlobsTests));
        var stores = Enumerable.Range(0, 4).Select(_ => new PostgresStore(PostgresStoreUri.Parse(uri))).ToList();
        try
        {
            X509Certificate2[] certificates = stores.AsParallel().Select(ServerCertificate.LoadOrCreateShared).ToArray();

            Assert.Single(certificates.Select(c => c.Thumbprint).Distinct());
            Assert.All(certificates, c => Assert.True(c.HasPrivateKey));
            Assert.Equal([StoreBlobNames.ServerCertificate], stores[0].ListBlobs("gateway/"));
        }
        finally
        {
            stores.ForEach(s => s.Dispose());
        }
    }

    private static ServiceProvider DataProtection(IConfigurationStore store)
    {
        var services = new ServiceCollection();
        services.AddDataProtection().SetApplicationName("CasbGateway");
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = new StoreKeyRepository(store));
        return services.BuildServiceProvider();
    }
}
