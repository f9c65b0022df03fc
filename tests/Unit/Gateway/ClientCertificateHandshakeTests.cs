using System.Net;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Activity;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbGateway.Hosting;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The handshake builds the client certificate's chain against nothing (<see cref="ClientCertificateHandshake"/>), so
/// what decides is still the engine's validation against the store's roots and CRLs, on every request: each kind of
/// bad certificate is presented over real TLS and must be blocked for its own reason, a good one allowed.
/// </summary>
public sealed class ClientCertificateHandshakeTests : IClassFixture<LabPkiFixture>
{
    private const string Browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    private readonly LabPki _pki;

    public ClientCertificateHandshakeTests(LabPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    /// <summary>Every kind of certificate the handshake accepts, with the answer and the record's status the engine gives it.</summary>
    private (X509Certificate2? Certificate, HttpStatusCode Status, string CertificateStatus)[] Cases(X509Certificate2 caAsClient) =>
    [
        (_pki.Client, HttpStatusCode.OK, "Valid"),
        (_pki.RevokedClient, HttpStatusCode.Forbidden, nameof(CertificateFailureReason.Revoked)),
        (_pki.ExpiredClient, HttpStatusCode.Forbidden, nameof(CertificateFailureReason.Expired)),
        (_pki.UntrustedClient, HttpStatusCode.Forbidden, nameof(CertificateFailureReason.UntrustedRoot)),
        (caAsClient, HttpStatusCode.Forbidden, nameof(CertificateFailureReason.NotEndEntity)),
        (_pki.ServerAuthOnlyClient, HttpStatusCode.Forbidden, nameof(CertificateFailureReason.NoClientAuthentication)),
        (null, HttpStatusCode.Forbidden, nameof(CertificateFailureReason.NoCertificate)),
    ];

    [Fact]
    public async Task The_engine_still_decides_every_certificate_the_handshake_accepts()
    {
        using X509Certificate2 caAsClient = _pki.IssueClient(
            "CN=CA Device, O=Fabrikam", _pki.ClientPrincipal, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), isCertificateAuthority: true);
        var cases = Cases(caAsClient);

        await using GatewayHarness harness = await StartGatewayAsync();

        // Each certificate twice on one connection: the second request takes the validator's cached result, which
        // must be the same decision.
        foreach (var (certificate, status, _) in cases)
        {
            using HttpClient client = harness.CreateClient(certificate);
            for (int i = 0; i < 2; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/");
                request.Headers.TryAddWithoutValidation("User-Agent", Browser);
                using HttpResponseMessage response = await client.SendAsync(request);
                Assert.True(status == response.StatusCode, $"{certificate?.Subject ?? "no certificate"}: {response.StatusCode}, expected {status}");
            }
        }

        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(cases.Length * 2);
        Assert.Equal(
            cases.SelectMany(c => new[] { c.CertificateStatus, c.CertificateStatus }),
            records.Reverse().Select(r => r.CertificateStatus));
    }

    /// <summary>
    /// Many new connections at once, each presenting its own certificate: their handshakes run in parallel on the
    /// thread pool and all use the one shared <see cref="ClientCertificateHandshake.Policy"/>, so each request must
    /// still be decided on its own connection's certificate (its status and thumbprint in its own activity record).
    /// </summary>
    [Fact]
    public async Task Concurrent_new_connections_are_each_decided_on_their_own_certificate()
    {
        using X509Certificate2 caAsClient = _pki.IssueClient(
            "CN=CA Device, O=Fabrikam", _pki.ClientPrincipal, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), isCertificateAuthority: true);
        var cases = Cases(caAsClient);
        const int ConnectionsPerCertificate = 8;

        await using GatewayHarness harness = await StartGatewayAsync();
        using var start = new SemaphoreSlim(0);
        var requests = new List<Task>();
        for (int k = 0; k < cases.Length; k++)
        {
            for (int j = 0; j < ConnectionsPerCertificate; j++)
            {
                var (certificate, status, _) = cases[k];
                string path = $"/case-{k}/connection-{j}";
                requests.Add(Task.Run(async () =>
                {
                    // A client of its own: a new connection and a full handshake for every request.
                    using HttpClient client = harness.CreateClient(certificate);
                    await start.WaitAsync();
                    using var request = new HttpRequestMessage(HttpMethod.Get, path);
                    request.Headers.TryAddWithoutValidation("User-Agent", Browser);
                    using HttpResponseMessage response = await client.SendAsync(request);
                    Assert.True(status == response.StatusCode, $"{path} ({certificate?.Subject ?? "no certificate"}): {response.StatusCode}, expected {status}");
                }));
            }
        }

        start.Release(requests.Count);
        await Task.WhenAll(requests);

        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(cases.Length * ConnectionsPerCertificate);
        Assert.Equal(
            Enumerable.Range(0, cases.Length).SelectMany(k => Enumerable.Range(0, ConnectionsPerCertificate).Select(j => $"/case-{k}/connection-{j}")).Order(),
            records.Select(r => r.Path!).Order());
        foreach (ActivityRecord record in records)
        {
            int k = int.Parse(record.Path!.Split('/')[1]["case-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(cases[k].CertificateStatus, record.CertificateStatus);
            Assert.Equal(cases[k].Certificate?.Thumbprint, record.CertificateThumbprint);
        }
    }

    [Fact]
    public void The_handshake_chain_trusts_nothing_and_fetches_nothing()
    {
        X509ChainPolicy policy = ClientCertificateHandshake.Policy;
        Assert.Equal(X509ChainTrustMode.CustomRootTrust, policy.TrustMode);
        Assert.Empty(policy.CustomTrustStore);
        Assert.Empty(policy.ExtraStore);
        Assert.True(policy.DisableCertificateDownloads);
        Assert.Equal(X509RevocationMode.NoCheck, policy.RevocationMode);

        // Even the lab's valid client certificate does not chain to a trusted root under it: the handshake's chain is
        // never a verdict; the engine's validation is.
        using var chain = new X509Chain { ChainPolicy = policy.Clone() };
        Assert.False(chain.Build(_pki.Client));
    }

    private Task<GatewayHarness> StartGatewayAsync() => GatewayHarness.StartAsync(c =>
    {
        c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Root, DateTimeOffset.UtcNow));
        c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Intermediate, DateTimeOffset.UtcNow));
        RevocationLists.Add(c, CertificateRevocationList.Parse(_pki.IntermediateCrl), false, DateTimeOffset.UtcNow);
        c.Settings.ActivityVolume = ActivityVolume.Full;
        SeedPolicies.AddRequireCertificate(c);
    });
}
