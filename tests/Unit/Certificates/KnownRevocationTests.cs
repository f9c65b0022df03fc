using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;
using CsCheck;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// A revocation a CRL held by the CRL cache lists is known to the process, whether or not the check at hand reads that CRL:
/// a delta CRL fetched from a Freshest CRL URL that no longer completes the complete CRL the distribution point now serves,
/// or a CRL held under another certificate of the same CA (renewed with the same key). Each left the certificate
/// RevocationUnknown (Valid in Optional mode).
/// </summary>
public sealed class KnownRevocationTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private const string Point = "http://127.0.0.1:9/known.crl";
    private const string Freshest = "http://127.0.0.1:9/known+.crl";

    /// <summary>One publication: at the Freshest CRL URL or the distribution point, complete or delta (its base), what it lists, current or not.</summary>
    private static readonly Gen<Step> Steps = Gen.Select(Gen.Bool, Gen.Int[1, 8], Gen.Int[0, 2], Gen.Int[0, 3], Gen.Bool, Gen.Bool)
        .Select((atFreshest, number, depth, listed, current, announces) =>
            new Step(atFreshest, number, depth == 0 || number - depth < 1 ? null : number - depth, listed, current, announces));

    private readonly LabPki _lab;
    private readonly X509Certificate2 _announcing;
    private readonly X509Certificate2 _silent;

    public KnownRevocationTests(LabPkiFixture fixture)
    {
        _lab = fixture.Lab;
        _announcing = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, Point, Freshest, "CN=Known announcing");
        _silent = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, Point, freshest: null, "CN=Known silent");
    }

    public void Dispose()
    {
        _announcing.Dispose();
        _silent.Dispose();
    }

    /// <summary>
    /// For generated publications of one CA at its distribution point and Freshest CRL URL (complete or delta CRLs, in any order,
    /// a CA that may drop an entry): once the CRL cache holds a CRL of the CA that lists the certificate for good, the certificate
    /// is Revoked in Optional and Required mode, whatever the cache holds or downloads next.
    /// </summary>
    [Fact]
    public void A_revocation_any_CRL_the_cache_held_listed_is_never_forgotten()
    {
        Gen.Select(Steps.Array[1, 6], Gen.Bool).Sample((steps, announcing) =>
        {
            // Each sample its own cache and publications: samples run on several threads at once.
            X509Certificate2 leaf = announcing ? _announcing : _silent;
            var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
            var source = new PublishedCrls();
            var cache = new CrlCache(source, clock, runInBackground: work => work());
            bool known = false;
            for (int i = 0; i < steps.Length; i++)
            {
                Step step = steps[i];
                DateTimeOffset now = clock.GetUtcNow();
                CrlEntry[] entries = step.Listed switch
                {
                    1 => [CrlEntry.Of(leaf)],
                    2 => [CrlEntry.Of(leaf, X509RevocationReason.CertificateHold)],
                    _ => [],
                };
                source[step.AtFreshest ? Freshest : Point] = DeltaCrlBuilder.Build(
                    _lab.IntermediateWithKey, step.Number, entries, step.Base, step.Base is null && step.Announces ? Freshest : null,
                    now.AddMinutes(-1), step.Current ? now.AddDays(7) : now.AddSeconds(30));
                clock.Advance(TimeSpan.FromMinutes(61));

                foreach (RevocationCheckMode mode in new[] { RevocationCheckMode.Optional, RevocationCheckMode.Required })
                {
                    CertificateValidationResult result = Validate(leaf, cache, clock, mode);
                    Assert.True(!known || result.Status == "Revoked", $"step {i} ({step}), {mode}: {result.Status} after the cache held a CRL that revoked it");
                }

                foreach (string url in new[] { Point, Freshest })
                {
                    known |= cache.Get(new Uri(url), _lab.Intermediate, TimeSpan.FromMinutes(60), TimeSpan.FromSeconds(1)).Crl?.FindRevoked(leaf)
                        is { Reason: X509RevocationReason.KeyCompromise };
                }

                foreach (RevocationCheckMode mode in new[] { RevocationCheckMode.Optional, RevocationCheckMode.Required })
                {
                    CertificateValidationResult result = Validate(leaf, cache, clock, mode);
                    Assert.True(!known || result.Status == "Revoked", $"step {i} ({step}), {mode}: {result.Status} while the cache holds a CRL that revoked it");
                }
            }
        }, iter: 100, threads: 2);
    }

    public static TheoryData<RevocationCheckMode, bool> ModesAndFreshest() => new()
    {
        { RevocationCheckMode.Optional, true },
        { RevocationCheckMode.Optional, false },
        { RevocationCheckMode.Required, true },
        { RevocationCheckMode.Required, false },
    };

    [Theory]
    [MemberData(nameof(ModesAndFreshest))]
    public void A_delta_from_the_freshest_URL_still_revokes_when_a_newer_complete_CRL_it_does_not_complete_drops_the_entry(RevocationCheckMode mode, bool freshestAnswers)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        using X509Certificate2 leaf = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, Point, Freshest, "CN=Known freshest");
        var source = new PublishedCrls
        {
            [Point] = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 1, [], Freshest, clock.GetUtcNow().AddMinutes(-1), clock.GetUtcNow().AddDays(1)),
            [Freshest] = DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 3, 1, [CrlEntry.Of(leaf)], clock.GetUtcNow().AddMinutes(-1), clock.GetUtcNow().AddDays(5)),
        };
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        Assert.Equal("Revoked", Validate(leaf, cache, clock, mode).Status);

        // The distribution point moves on to complete CRL #5, from which the CA dropped the key compromise; the Freshest CRL
        // URL still serves (or, down, the cache still holds) delta #3, which completes base 1 only.
        clock.Advance(TimeSpan.FromDays(2));
        source[Point] = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 5, [], Freshest, clock.GetUtcNow().AddMinutes(-1), clock.GetUtcNow().AddDays(1));
        if (!freshestAnswers)
        {
            source.TryRemove(Freshest, out _);
        }

        CertificateValidationResult after = Validate(leaf, cache, clock, mode);

        Assert.Equal("Revoked", after.Status);
        Assert.Contains("delta CRL at " + Freshest, after.Failures[0].Message);
    }

    [Theory]
    [InlineData(RevocationCheckMode.Optional)]
    [InlineData(RevocationCheckMode.Required)]
    public void A_CRL_held_for_a_CA_certificate_still_revokes_after_the_store_trusts_the_CA_renewed_with_the_same_key(RevocationCheckMode mode)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        DateTimeOffset now = clock.GetUtcNow();
        using System.Security.Cryptography.ECDsa caKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        CertificateSpec spec = CertificateSpec.Ca("CN=Known Renewed CA") with { Key = TestKey.Reused(caKey) };
        using X509Certificate2 first = TestPki.Issue(spec, null);
        using X509Certificate2 renewed = TestPki.Issue(spec with { NotBefore = now.AddDays(-1), NotAfter = now.AddYears(10) }, null);
        using X509Certificate2 device = TestPki.Issue(new CertificateSpec { Key = TestKey.P256, Upn = "renewed@contoso.com", CrlDistributionPoint = Point }, first);
        var source = new PublishedCrls { [Point] = TestPki.Crl(first, 1, now.AddMinutes(-1), now.AddDays(1), new[] { device }) };
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        CertificateValidationResult Check(X509Certificate2 ca)
        {
            CasbConfiguration configuration = TestPki.Trusting(mode, false, ca);
            configuration.Settings.CrlCacheMinutes = 60;
            return new CertificateValidator(configuration, cache).Validate(device, clock.GetUtcNow());
        }

        Assert.Equal("Revoked", Check(first).Status);

        // The admin replaces the CA certificate with its renewal; the CA's next CRL no longer lists the key compromise.
        clock.Advance(TimeSpan.FromMinutes(5));
        source[Point] = TestPki.Crl(first, 2, clock.GetUtcNow().AddMinutes(-1), clock.GetUtcNow().AddDays(1), Array.Empty<X509Certificate2>());
        CertificateValidationResult after = Check(renewed);

        Assert.Equal("Revoked", after.Status);
        Assert.Contains("(CRL number 1", after.Failures[0].Message);
    }

    [Theory]
    [InlineData(RevocationCheckMode.Optional)]
    [InlineData(RevocationCheckMode.Required)]
    public void A_CRL_the_cache_holds_still_revokes_after_the_cache_is_emptied_at_its_capacity(RevocationCheckMode mode)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var source = new PublishedCrls
        {
            [Point] = DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 3, 1, [CrlEntry.Of(_silent)], clock.GetUtcNow().AddMinutes(-1), clock.GetUtcNow().AddDays(1)),
        };
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        Assert.Equal("Revoked", Validate(_silent, cache, clock, mode).Status);

        // Distribution points of other certificates fill the cache; at its capacity it starts again from empty. Then the
        // point serves the delta of a later base, which no longer lists what delta #3 did.
        for (int i = 0; i < 1100; i++)
        {
            cache.Get(new Uri($"http://127.0.0.1:9/other-{i}.crl"), _lab.Intermediate, TimeSpan.FromMinutes(60), TimeSpan.FromSeconds(1));
        }

        source[Point] = DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 6, 5, [], clock.GetUtcNow().AddMinutes(-1), clock.GetUtcNow().AddDays(1));
        clock.Advance(TimeSpan.FromMinutes(61));
        CertificateValidationResult after = Validate(_silent, cache, clock, mode);

        Assert.Equal("Revoked", after.Status);
        Assert.Contains("delta CRL at " + Point + " (CRL number 3", after.Failures[0].Message);
    }

    [Theory]
    [InlineData(RevocationCheckMode.Optional)]
    [InlineData(RevocationCheckMode.Required)]
    public void A_valid_result_cached_before_a_download_listed_the_certificate_is_not_reused(RevocationCheckMode mode)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        using X509Certificate2 other = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, Point, freshest: null, "CN=Known other");
        var source = new PublishedCrls
        {
            [Point] = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 1, [], thisUpdate: clock.GetUtcNow().AddMinutes(-1), nextUpdate: clock.GetUtcNow().AddDays(1)),
        };
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, mode).WithCrls(_lab.RootCrl);
        configuration.Settings.CrlCacheMinutes = 1;
        var validator = new CertificateValidator(configuration, cache);
        Assert.Equal("Valid", validator.Validate(_silent, clock.GetUtcNow()).Status);

        // The CA revokes it; another device's check downloads the CRL that says so.
        source[Point] = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 2, [CrlEntry.Of(_silent)], thisUpdate: clock.GetUtcNow(), nextUpdate: clock.GetUtcNow().AddDays(1));
        clock.Advance(TimeSpan.FromMinutes(2));
        validator.Validate(other, clock.GetUtcNow());
        Assert.Equal(2, (int)cache.Get(new Uri(Point), _lab.Intermediate, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1)).Crl!.CrlNumber!.Value);

        Assert.Equal("Revoked", validator.Validate(_silent, clock.GetUtcNow()).Status);
    }

    private CertificateValidationResult Validate(X509Certificate2 leaf, CrlCache cache, ManualTimeProvider clock, RevocationCheckMode mode)
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, mode).WithCrls(_lab.RootCrl);
        configuration.Settings.CrlCacheMinutes = 60;
        return new CertificateValidator(configuration, cache).Validate(leaf, clock.GetUtcNow());
    }

    private sealed record Step(bool AtFreshest, int Number, int? Base, int Listed, bool Current, bool Announces);
}
