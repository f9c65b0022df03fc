using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

/// <summary>Past its cache time a still-current CRL keeps serving while a background refresh replaces it.</summary>
public sealed class CrlCacheRefreshTests : IClassFixture<LabPkiFixture>
{
    private static readonly Uri Location = new("http://127.0.0.1:9/refresh.crl");
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly LabPki _lab;
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private readonly List<Action> _deferred = new();

    public CrlCacheRefreshTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    [Fact]
    public void A_CRL_past_its_cache_time_but_before_nextUpdate_is_served_at_once_and_refreshed_in_the_background()
    {
        var clock = new ManualTimeProvider(_now);
        var source = new SwitchableSource(TestConfigurations.IntermediateCrl(_lab, 1, _now.AddDays(1)));
        var cache = new CrlCache(source, clock, _deferred.Add);
        cache.Get(Location, _lab.Intermediate, MaxAge, Timeout);

        clock.Advance(MaxAge + TimeSpan.FromMinutes(1));
        source.Crl = TestConfigurations.IntermediateCrl(_lab, 2, _now.AddDays(1));
        CrlLookup stale = cache.Get(Location, _lab.Intermediate, MaxAge, Timeout);
        CrlLookup again = cache.Get(Location, _lab.Intermediate, MaxAge, Timeout);

        Assert.False(stale.Fetched);
        Assert.Equal("1", stale.Crl!.CrlNumber?.ToString());
        Assert.Equal(1, source.Fetches);
        Assert.Single(_deferred); // one refresh per URL, however many requests see the old copy

        _deferred[0]();
        CrlLookup refreshed = cache.Get(Location, _lab.Intermediate, MaxAge, Timeout);

        Assert.Equal(2, source.Fetches);
        Assert.Equal("2", refreshed.Crl!.CrlNumber?.ToString());
        Assert.Same(stale.Crl, again.Crl);
    }

    [Fact]
    public void A_failed_refresh_keeps_the_still_current_copy()
    {
        var clock = new ManualTimeProvider(_now);
        var source = new SwitchableSource(TestConfigurations.IntermediateCrl(_lab, 1, _now.AddDays(1)));
        var cache = new CrlCache(source, clock, _deferred.Add);
        cache.Get(Location, _lab.Intermediate, MaxAge, Timeout);
        clock.Advance(MaxAge + TimeSpan.FromMinutes(1));
        source.Crl = null;

        cache.Get(Location, _lab.Intermediate, MaxAge, Timeout);
        _deferred.Single()();
        CrlLookup after = cache.Get(Location, _lab.Intermediate, MaxAge, Timeout);

        Assert.Equal(2, source.Fetches);
        Assert.NotNull(after.Crl);
        Assert.Null(after.Problem);
    }

    [Fact]
    public void A_CRL_past_its_nextUpdate_is_not_served_stale_the_request_waits_for_a_new_one()
    {
        var clock = new ManualTimeProvider(_now);
        var source = new SwitchableSource(TestConfigurations.IntermediateCrl(_lab, 1, _now.AddMinutes(5)));
        var cache = new CrlCache(source, clock, _deferred.Add);
        cache.Get(Location, _lab.Intermediate, MaxAge, Timeout);

        clock.Advance(TimeSpan.FromMinutes(6));
        source.Crl = TestConfigurations.IntermediateCrl(_lab, 2, _now.AddDays(1));
        CrlLookup lookup = cache.Get(Location, _lab.Intermediate, MaxAge, Timeout);

        Assert.True(lookup.Fetched);
        Assert.Equal("2", lookup.Crl!.CrlNumber?.ToString());
        Assert.Empty(_deferred);
    }

    private sealed class SwitchableSource(byte[]? crl) : ICrlSource
    {
        public byte[]? Crl { get; set; } = crl;

        public int Fetches { get; private set; }

        public byte[] Fetch(Uri location, TimeSpan timeout)
        {
            Fetches++;
            return Crl ?? throw new HttpRequestException("connection refused (test)");
        }
    }
}
