using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

public sealed class CrlFetchTests : IClassFixture<LabPkiFixture>
{
    private readonly LabPki _lab;

    public CrlFetchTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    [Fact]
    public void A_distribution_point_that_never_answers_times_out_with_a_message_naming_it()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts connections (backlog) but never answers
        var location = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/slow.crl");

        TimeoutException error = Assert.Throws<TimeoutException>(() => new HttpCrlSource().Fetch(location, TimeSpan.FromSeconds(1)));

        Assert.Contains(location.AbsoluteUri, error.Message);
    }

    [Fact]
    public void Only_http_and_https_are_fetched()
    {
        Assert.Throws<NotSupportedException>(() => new HttpCrlSource().Fetch(new Uri("file:///etc/passwd"), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void A_failed_fetch_is_remembered_briefly_so_a_dead_distribution_point_is_not_asked_per_request()
    {
        var clock = new ManualTimeProvider(Now);
        var source = new CountingFailingSource();
        var cache = new CrlCache(source, clock);
        using X509Certificate2 client = _lab.IssueClient("CN=Dead CDP", null, Now.AddDays(-1), Now.AddDays(30), "http://127.0.0.1:9/dead.crl");
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required);

        CertificateValidationResult first = new CertificateValidator(configuration, cache).Validate(client, Now);
        new CertificateValidator(configuration, cache).Validate(client, Now);
        Assert.Equal(1, source.Fetches);

        clock.Advance(CrlCache.FailureTtl + TimeSpan.FromSeconds(1));
        new CertificateValidator(configuration, cache).Validate(client, Now);

        Assert.Equal(2, source.Fetches);
        Assert.Contains(CertificateFailureReason.RevocationUnknown, first.Failures.Select(f => f.Reason));
        Assert.Contains("connection refused (test)", string.Join(" ", first.Failures.Select(f => f.Message)));
    }

    [Fact]
    public void Parallel_validations_of_one_certificate_agree_and_share_one_cached_result()
    {
        var validator = new CertificateValidator(
            TestConfigurations.Trusting(_lab).WithCrls(_lab.IntermediateCrl), new CrlCache(new CountingFailingSource()));
        DateTimeOffset at = Now;
        var results = new CertificateValidationResult[64];

        Parallel.For(0, results.Length, i =>
            results[i] = validator.Validate(i % 2 == 0 ? _lab.Client : _lab.RevokedClient, at));

        Assert.All(results.Where((_, i) => i % 2 == 0), r => Assert.True(r.IsValid));
        Assert.All(results.Where((_, i) => i % 2 == 1), r => Assert.Equal("Revoked", r.Status));
        Assert.Equal(2, validator.CachedResultCount);
    }

    private sealed class CountingFailingSource : ICrlSource
    {
        private int _fetches;

        public int Fetches => Volatile.Read(ref _fetches);

        public byte[] Fetch(Uri location, TimeSpan timeout)
        {
            Interlocked.Increment(ref _fetches);
            throw new HttpRequestException("connection refused (test)");
        }
    }
}
