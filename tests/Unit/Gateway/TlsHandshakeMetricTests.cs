using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using CasbCore.Certificates;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The gateway's connection middleware past the TLS handshake (<c>GatewayApp.OnConnectionAsync</c>) counts every new
/// connection once in <c>casb_gateway_tls_handshakes_total</c>, by whether the client presented a certificate (not
/// whether it is valid), however many requests the connection carries.
/// </summary>
[Collection(GatewayMetricsCollection.Name)]
public sealed partial class TlsHandshakeMetricTests : IClassFixture<LabPkiFixture>
{
    private readonly LabPki _pki;

    public TlsHandshakeMetricTests(LabPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    [Fact]
    public async Task Each_new_connection_is_counted_once_by_whether_it_presented_a_certificate()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Root, DateTimeOffset.UtcNow));
            c.TrustedRoots.Add(TrustedRootCatalog.CreateEntry(_pki.Intermediate, DateTimeOffset.UtcNow));
        });

        // Every scrape on this one connection (no certificate): counted once, before the first answer.
        using HttpClient scraper = harness.CreateClient();
        (long Present, long Absent) before = await CountsAsync(scraper, _ => true);

        // Three connections with a certificate (a revoked one is still presented), two without; three requests each.
        X509Certificate2?[] connections = [_pki.Client, _pki.Client, _pki.RevokedClient, null, null];
        foreach (X509Certificate2? certificate in connections)
        {
            using HttpClient client = harness.CreateClient(certificate);
            for (int i = 0; i < 3; i++)
            {
                using HttpResponseMessage response = await client.GetAsync("/");
            }
        }

        (long Present, long Absent) expected = (before.Present + 3, before.Absent + 2);
        (long Present, long Absent) after = await CountsAsync(scraper, c => c.Present >= expected.Present && c.Absent >= expected.Absent);
        Assert.Equal(expected, after);
    }

    /// <summary>Scrapes /metrics until <paramref name="done"/> holds (the exporter caches its answer briefly).</summary>
    private static async Task<(long Present, long Absent)> CountsAsync(HttpClient scraper, Func<(long Present, long Absent), bool> done)
    {
        (long Present, long Absent) counts = default;
        for (int i = 0; i < 50; i++)
        {
            string metrics = await scraper.GetStringAsync("/metrics");
            counts = (Count(metrics, "present"), Count(metrics, "absent"));
            if (done(counts))
            {
                break;
            }

            await Task.Delay(100);
        }

        return counts;
    }

    private static long Count(string metrics, string presence)
    {
        foreach (Match match in HandshakeLine().Matches(metrics))
        {
            if (match.Groups["presence"].Value == presence)
            {
                return long.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    [GeneratedRegex("""^casb_gateway_tls_handshakes(?:_total)?\{[^}]*client_certificate="(?<presence>\w+)"[^}]*\} (?<value>[0-9]+)""", RegexOptions.Multiline)]
    private static partial Regex HandshakeLine();
}
