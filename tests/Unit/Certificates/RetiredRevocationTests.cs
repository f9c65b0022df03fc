using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// A CRL held from a download, which lists a certificate for good (key compromise), is replaced by a newer download that does
/// not list it: a delta CRL of a later base (it lists only what changed since that base, and the complete CRL held from the
/// distribution point may be older than that base), or a complete CRL from which the CA dropped the entry. The certificate's
/// status became unknown, which Optional mode lets through: the CRL cache now remembers what a CRL it replaced revoked.
/// </summary>
public sealed class RetiredRevocationTests : IClassFixture<LabPkiFixture>
{
    private const string Point = "http://127.0.0.1:9/retired.crl";
    private const string Freshest = "http://127.0.0.1:9/retired+.crl";

    private readonly LabPki _lab;

    public RetiredRevocationTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    public static TheoryData<RevocationCheckMode> Modes() => new() { RevocationCheckMode.Optional, RevocationCheckMode.Required };

    [Theory]
    [MemberData(nameof(Modes))]
    public void A_delta_held_from_the_distribution_point_still_revokes_after_a_delta_of_a_later_base_replaces_it(RevocationCheckMode mode)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        using X509Certificate2 leaf = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, Point, freshest: null, "CN=Retired delta");
        var source = new PublishedCrls();
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        CertificateValidationResult Check() => Validate(leaf, cache, clock, mode);

        source[Point] = Delta(3, 1, clock, CrlEntry.Of(leaf));
        Assert.Equal("Revoked", Check().Status);

        // The point serves the next complete CRL (not taken in a delta's place), then its delta, which lists nothing.
        source[Point] = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 5, [CrlEntry.Of(leaf)], thisUpdate: clock.GetUtcNow(), nextUpdate: clock.GetUtcNow().AddDays(7));
        clock.Advance(TimeSpan.FromDays(8));
        Check();
        source[Point] = Delta(6, 5, clock);
        clock.Advance(TimeSpan.FromMinutes(1));
        CertificateValidationResult after = Check();

        Assert.Equal(6, (int)cache.Get(new Uri(Point), _lab.Intermediate, TimeSpan.FromHours(1), TimeSpan.FromSeconds(1)).Crl!.CrlNumber!.Value);
        Assert.Equal("Revoked", after.Status);
        Assert.Contains("delta CRL at " + Point + " (CRL number 3", after.Failures[0].Message);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void A_delta_held_from_the_freshest_URL_still_revokes_after_a_delta_of_a_later_base_replaces_it(RevocationCheckMode mode)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        using X509Certificate2 leaf = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, Point, Freshest, "CN=Retired freshest");
        var source = new PublishedCrls
        {
            [Point] = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 1, [], Freshest, clock.GetUtcNow().AddMinutes(-1), clock.GetUtcNow().AddDays(1)),
            [Freshest] = Delta(3, 1, clock, CrlEntry.Of(leaf)),
        };
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        CertificateValidationResult Check() => Validate(leaf, cache, clock, mode);
        Assert.Equal("Revoked", Check().Status);

        // The distribution point stops answering (its complete CRL #1 is kept, and goes past its nextUpdate) while the
        // Freshest CRL URL moves on to the delta of base 3, which does not repeat what delta #3 listed.
        source.TryRemove(Point, out _);
        clock.Advance(TimeSpan.FromDays(2));
        source[Freshest] = Delta(5, 3, clock);
        CertificateValidationResult after = Check();

        Assert.Equal("Revoked", after.Status);
        Assert.Contains("delta CRL at " + Freshest + " (CRL number 3", after.Failures[0].Message);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void A_certificate_a_newer_complete_CRL_drops_stays_revoked(RevocationCheckMode mode)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        using X509Certificate2 leaf = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, Point, freshest: null, "CN=Retired dropped");
        using X509Certificate2 held = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, Point, freshest: null, "CN=Retired on hold");
        var source = new PublishedCrls
        {
            [Point] = DeltaCrlBuilder.Base(
                _lab.IntermediateWithKey, 4, [CrlEntry.Of(leaf), CrlEntry.Of(held, X509RevocationReason.CertificateHold)],
                thisUpdate: clock.GetUtcNow().AddMinutes(-1), nextUpdate: clock.GetUtcNow().AddDays(1)),
        };
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        Assert.Equal("Revoked", Validate(leaf, cache, clock, mode).Status);
        Assert.Equal("Revoked", Validate(held, cache, clock, mode).Status);

        // A CA may lift a hold; it may not take back a key compromise (RFC 5280 3.3, 5.3.1).
        clock.Advance(TimeSpan.FromDays(2));
        source[Point] = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 5, [], thisUpdate: clock.GetUtcNow().AddMinutes(-1), nextUpdate: clock.GetUtcNow().AddDays(1));

        CertificateValidationResult dropped = Validate(leaf, cache, clock, mode);
        Assert.NotNull(cache.FindRetired(leaf, _lab.Intermediate));
        Assert.Equal("Revoked", dropped.Status);
        Assert.Contains("(CRL number 4", dropped.Failures[0].Message);
        Assert.Equal("Valid", Validate(held, cache, clock, mode).Status);
        Assert.Equal(5, (int)cache.Get(new Uri(Point), _lab.Intermediate, TimeSpan.FromHours(1), TimeSpan.FromSeconds(1)).Crl!.CrlNumber!.Value);
    }

    [Fact]
    public void What_a_replaced_CRL_revoked_belongs_to_the_CA_by_name_and_key_not_to_one_certificate_of_it()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        DateTimeOffset now = clock.GetUtcNow();
        using System.Security.Cryptography.ECDsa caKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        CertificateSpec spec = CertificateSpec.Ca("CN=Retired Issuing CA") with { Key = TestKey.Reused(caKey) };
        using X509Certificate2 first = TestPki.Issue(spec, null);
        using X509Certificate2 renewed = TestPki.Issue(spec with { NotBefore = now.AddDays(-1), NotAfter = now.AddYears(10) }, null);
        using X509Certificate2 sameNameOtherKey = TestPki.Issue(CertificateSpec.Ca("CN=Retired Issuing CA"), null);
        using X509Certificate2 device = TestPki.Issue(new CertificateSpec { Key = TestKey.P256 }, first);
        var source = new PublishedCrls { [Point] = TestPki.Crl(first, 1, now.AddMinutes(-1), now.AddDays(1), new[] { device }) };
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        Assert.NotNull(cache.Get(new Uri(Point), first, TimeSpan.FromHours(1), TimeSpan.FromSeconds(1)).Crl);

        clock.Advance(TimeSpan.FromDays(2));
        source[Point] = TestPki.Crl(first, 2, clock.GetUtcNow().AddMinutes(-1), clock.GetUtcNow().AddDays(1), Array.Empty<X509Certificate2>());
        Assert.Equal(2, (int)cache.Get(new Uri(Point), first, TimeSpan.FromHours(1), TimeSpan.FromSeconds(1)).Crl!.CrlNumber!.Value);

        Assert.NotNull(cache.FindRetired(device, first));
        Assert.NotNull(cache.FindRetired(device, renewed));
        Assert.Null(cache.FindRetired(device, sameNameOtherKey));
    }

    private CertificateValidationResult Validate(X509Certificate2 leaf, CrlCache cache, ManualTimeProvider clock, RevocationCheckMode mode)
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, mode).WithCrls(_lab.RootCrl);
        configuration.Settings.CrlCacheMinutes = 60;
        return new CertificateValidator(configuration, cache).Validate(leaf, clock.GetUtcNow());
    }

    private byte[] Delta(int number, int baseNumber, ManualTimeProvider clock, params CrlEntry[] entries) =>
        DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, number, baseNumber, entries, clock.GetUtcNow().AddMinutes(-1), clock.GetUtcNow().AddDays(1));
}
