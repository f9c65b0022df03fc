using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CasbCore.Store;
using CasbCore.Store.Postgres;
using CasbGateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CasbModule.Tests.Postgres;

/// <summary>
/// The server certificate gateways on one PostgreSQL store share: replaced in the store, every gateway presents the new
/// one on its next handshakes without a restart; renewed near expiry by several at once, all end on one.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresServerCertificateTests(PostgresFixture postgres, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_certificate_replaced_in_the_store_is_presented_by_both_gateways_within_2_s_without_a_restart_or_a_failed_request()
    {
        string uri = postgres.CreateStoreUri("servercert");
        var gateways = new List<WebApplication>();
        try
        {
            foreach (string name in (string[])["gw-a", "gw-b"])
            {
                WebApplication gateway = GatewayApp.Build(new GatewayOptions { StorePath = uri, Urls = ["https://127.0.0.1:0"], Name = name });
                await gateway.StartAsync();
                gateways.Add(gateway);
            }

            Uri[] urls = gateways.Select(g => new Uri(g.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First())).ToArray();
            string shared = (await HandshakeAsync(urls[0])).Thumbprint;
            Assert.Equal(shared, (await HandshakeAsync(urls[1])).Thumbprint);

            // Requests on new connections to both gateways all along, each one checked.
            using var stop = new CancellationTokenSource();
            var failures = new List<string>();
            int answered = 0;
            Task load = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    foreach (Uri url in urls)
                    {
                        try
                        {
                            (_, int status) = await HandshakeAsync(url);
                            if (status == 200)
                            {
                                Interlocked.Increment(ref answered);
                            }
                            else
                            {
                                lock (failures) { failures.Add($"{url}: {status}"); }
                            }
                        }
                        catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException)
                        {
                            lock (failures) { failures.Add($"{url}: {ex.Message}"); }
                        }
                    }
                }
            });

            using X509Certificate2 replacement = CreateCertificate("CN=gateway.contoso.test", TimeSpan.FromDays(90));
            using var admin = new PostgresStore(PostgresStoreUri.Parse(uri));
            await Task.Delay(300);
            var clock = Stopwatch.StartNew();
            admin.WriteBlob(StoreBlobNames.ServerCertificate, replacement.Export(X509ContentType.Pfx));
            var seenAt = new TimeSpan?[urls.Length];
            while (clock.Elapsed < TimeSpan.FromSeconds(10) && seenAt.Any(t => t is null))
            {
                for (int i = 0; i < urls.Length; i++)
                {
                    if (seenAt[i] is null && (await HandshakeAsync(urls[i])).Thumbprint == replacement.Thumbprint)
                    {
                        seenAt[i] = clock.Elapsed;
                    }
                }
            }

            output.WriteLine($"new certificate presented after {string.Join(", ", seenAt.Select(t => $"{t?.TotalMilliseconds:0} ms"))}; {answered} requests answered");
            await Task.Delay(300); // and requests go on after the swap
            stop.Cancel();
            await load;

            Assert.All(seenAt, t => Assert.True(t is { } at && at <= TimeSpan.FromSeconds(2), $"presented after {t?.TotalMilliseconds ?? double.NaN} ms"));
            Assert.Empty(failures);
            Assert.True(answered > 10, $"only {answered} requests answered");
        }
        finally
        {
            foreach (WebApplication gateway in gateways)
            {
                await gateway.StopAsync();
                await gateway.DisposeAsync();
            }
        }
    }

    [Fact]
    public void Gateways_that_renew_an_expiring_certificate_at_the_same_moment_all_end_on_one_new_certificate()
    {
        string uri = postgres.CreateStoreUri("renewal");
        using X509Certificate2 expiring = CreateCertificate("CN=localhost", TimeSpan.FromDays(3));
        byte[] expiringPfx = expiring.Export(X509ContentType.Pfx);
        var stores = Enumerable.Range(0, 4).Select(_ => new PostgresStore(PostgresStoreUri.Parse(uri))).ToList();
        try
        {
            stores[0].WriteBlob(StoreBlobNames.ServerCertificate, expiringPfx);
            var options = new GatewayOptions { StorePath = uri };
            ServerCertificateSource[] sources = stores.Select(s => new ServerCertificateSource(
                X509CertificateLoader.LoadPkcs12(expiringPfx, null), options, s, NullLogger<ServerCertificateSource>.Instance)).ToArray();

            using var start = new Barrier(sources.Length);
            Parallel.ForEach(sources, new ParallelOptions { MaxDegreeOfParallelism = sources.Length }, source =>
            {
                start.SignalAndWait();
                source.Refresh();
            });

            string renewed = Assert.Single(sources.Select(s => s.Certificate.Thumbprint).Distinct());
            Assert.NotEqual(expiring.Thumbprint, renewed);
            Assert.Equal(renewed, X509CertificateLoader.LoadPkcs12(stores[0].ReadBlob(StoreBlobNames.ServerCertificate)!, null).Thumbprint);
            Assert.All(sources, s => Assert.True(s.Certificate.NotAfter > DateTime.Now.AddDays(300)));
        }
        finally
        {
            stores.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void A_certificate_file_rewritten_in_place_is_served_once_it_loads_and_a_broken_one_is_refused()
    {
        string folder = Directory.CreateTempSubdirectory("casb-certfile-").FullName;
        try
        {
            string path = Path.Combine(folder, "gateway.pfx");
            using X509Certificate2 first = CreateCertificate("CN=first.contoso.test", TimeSpan.FromDays(90));
            using X509Certificate2 second = CreateCertificate("CN=second.contoso.test", TimeSpan.FromDays(90));
            File.WriteAllBytes(path, first.Export(X509ContentType.Pfx, "pfx-password"));
            var options = new GatewayOptions { StorePath = folder, CertificatePath = path, CertificatePassword = "pfx-password" };
            var source = new ServerCertificateSource(
                X509CertificateLoader.LoadPkcs12FromFile(path, "pfx-password"), options, new CasbStore(folder), NullLogger<ServerCertificateSource>.Instance);

            File.WriteAllBytes(path, second.Export(X509ContentType.Pfx, "pfx-password"));
            source.Refresh();
            string afterRenewal = source.Certificate.Thumbprint;
            File.WriteAllBytes(path, second.Export(X509ContentType.Pfx, "another-password"));
            source.Refresh();
            File.WriteAllBytes(path, Encoding.ASCII.GetBytes("half-written"));
            source.Refresh();

            Assert.Equal(second.Thumbprint, afterRenewal);
            Assert.Equal(second.Thumbprint, source.Certificate.Thumbprint);
            var handshake = new SslServerAuthenticationOptions();
            source.Apply(handshake);
            Assert.Equal(second.Thumbprint, handshake.ServerCertificateContext!.TargetCertificate.Thumbprint);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static X509Certificate2 CreateCertificate(string subject, TimeSpan lifetime)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow + lifetime);
    }

    // One request on a new TLS connection: the certificate the gateway presented and the status of GET /healthz.
    private static async Task<(string Thumbprint, int Status)> HandshakeAsync(Uri gateway)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway.Host, gateway.Port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });
        string thumbprint = tls.RemoteCertificate!.GetCertHashString();
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: {gateway.Authority}\r\nConnection: close\r\n\r\n"));
        await tls.FlushAsync();
        byte[] buffer = new byte[64];
        int read = await tls.ReadAtLeastAsync(buffer, 12, throwOnEndOfStream: false);
        string statusLine = Encoding.ASCII.GetString(buffer, 0, read);
        return (thumbprint, statusLine.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && read >= 12 ? int.Parse(statusLine.AsSpan(9, 3)) : -1);
    }
}
