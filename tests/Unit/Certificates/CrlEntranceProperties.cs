using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Store;
using CsCheck;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// Every entrance by which a CRL reaches what the validator relies on: Add-CasbCertificateRevocationList (without -Force),
/// Import-CasbConfiguration, and a download from the certificate's distribution point replacing the CRL held. For generated
/// sequences of one CA's CRLs (numbers up and down, any thisUpdate, current or past nextUpdate, SHA-256 or SHA-1, complete
/// or delta, announcing a delta or not), as a conforming CA publishes them or one that drops a revocation from some: once an entrance accepted a CRL that lists the
/// certificate for a reason other than certificateHold, the certificate is never Valid again, in Optional or Required mode.
/// And Add and Import accept or refuse the same CRL in the same state, leaving the same CRLs.
/// The distribution point serves deltas too: a delta CRL held from it, replaced by the next delta of a later base (which no
/// longer lists what its base does), once left a certificate only the held delta revoked Valid in Optional mode
/// (RevocationUnknown in Required) until the CRL cache remembered what a CRL it replaced revoked (seed 7KdDHMHF7-52).
/// </summary>
public sealed class CrlEntranceProperties : IClassFixture<LabPkiFixture>, IDisposable
{
    private const string Url = "http://127.0.0.1:9/entrance.crl";
    private const string DeltaUrl = "http://127.0.0.1:9/entrance+.crl";

    private static readonly TimeSpan CachePeriod = TimeSpan.FromMinutes(60);

    /// <summary>When the CA held the certificate (CRL numbers Hold to HoldEnd - 1) and revoked it for key compromise (Revoked on); 7 is never.</summary>
    private static readonly Gen<Timeline> Timelines = Gen.Select(Gen.Int[1, 7], Gen.Int[1, 3], Gen.Int[1, 7])
        .Select((hold, length, revoked) => new Timeline(hold, hold + length, revoked));

    /// <summary>
    /// One CRL: its number, a delta's distance to its base (0: complete), how long before now it was issued, current or not, SHA-1 or
    /// not, announcing a delta, and (a delta) listing the certificate as removeFromCRL whatever the CA did, which may lift a hold only.
    /// </summary>
    private static readonly Gen<CrlSpec> Specs = Gen.Select(Gen.Int[1, 6], Gen.Int[0, 2], Gen.Int[1, 4000], Gen.Int[0, 5], Gen.Int[0, 3], Gen.Bool, Gen.Int[0, 3], Gen.Int[0, 3])
        .Select((number, depth, minutesAgo, current, hash, announces, lifts, drops) =>
            new CrlSpec(number, depth == 0 || number - depth < 1 ? null : number - depth, minutesAgo, current != 0, hash == 0, announces, lifts == 0, drops == 0));

    private readonly LabPki _lab;
    private readonly X509Certificate2 _leaf;

    public CrlEntranceProperties(LabPkiFixture fixture)
    {
        _lab = fixture.Lab;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        _leaf = _lab.IssueClient("CN=Entrance device", "entrance@contoso.com", now.AddDays(-30), now.AddDays(30), Url);
    }

    public void Dispose() => _leaf.Dispose();

    [Fact]
    public void A_certificate_an_accepted_CRL_revoked_is_never_valid_again_whatever_the_entrance()
    {
        Gen.Select(Timelines, Specs.Array[1, 6], Gen.Bool).Sample((timeline, specs, allowWeak) =>
        {
            // Each sample its own states and cache: samples run on several threads at once.
            DateTimeOffset t0 = DateTimeOffset.UtcNow;
            CasbConfiguration added = Store(allowWeak);
            CasbConfiguration imported = Store(allowWeak);
            var clock = new ManualTimeProvider(t0);
            var source = new PublishedCrls();
            var cache = new CrlCache(source, clock, runInBackground: work => work());
            CasbConfiguration fetchedStore = Store(allowWeak);
            bool addRevoked = false, importRevoked = false, fetchRevoked = false;

            for (int step = 0; step < specs.Length; step++)
            {
                byte[] der = Build(specs[step], timeline, t0);
                CertificateRevocationList crl = CertificateRevocationList.Parse(der);
                bool revokes = crl.FindRevoked(_leaf) is { Reason: not (X509RevocationReason.CertificateHold or X509RevocationReason.RemoveFromCrl) };
                string at = $"step {step} ({specs[step]})";

                // (a) Add-CasbCertificateRevocationList without -Force, and Import-CasbConfiguration on the same state: the same answer, the same CRLs.
                CasbConfiguration sameState = Copy(added);
                string? addError = TryAdd(added, crl);
                string? importOfSameError = TryImport(ref sameState, der);
                Assert.True(
                    (addError is null) == (importOfSameError is null),
                    $"{at}: Add {addError ?? "accepted"}, Import of the same state {importOfSameError ?? "accepted"}");
                Assert.Equal(Ids(added), Ids(sameState));
                addRevoked |= addError is null && revokes;

                // (b) Import-CasbConfiguration, state of its own.
                bool importAccepted = TryImport(ref imported, der) is null;
                importRevoked |= importAccepted && revokes;

                // (c) The distribution point serves it; the next fetch replaces the CRL held, or keeps it.
                source[Url] = der;
                clock.Advance(CachePeriod + TimeSpan.FromMinutes(1));
                cache.Get(new Uri(Url), _lab.Intermediate, CachePeriod, TimeSpan.FromSeconds(1), allowWeak);
                CrlLookup held = cache.Get(new Uri(Url), _lab.Intermediate, CachePeriod, TimeSpan.FromSeconds(1), allowWeak);
                fetchRevoked |= held.Crl?.Id == crl.Id && revokes;

                DateTimeOffset now = DateTimeOffset.UtcNow;
                foreach (RevocationCheckMode mode in new[] { RevocationCheckMode.Optional, RevocationCheckMode.Required })
                {
                    AssertNotValid(addRevoked, added, new CrlCache(new NoNetworkCrlSource(), runInBackground: work => work()), now, mode, $"Add, {at}");
                    AssertNotValid(importRevoked, imported, new CrlCache(new NoNetworkCrlSource(), runInBackground: work => work()), now, mode, $"Import, {at}");
                    AssertNotValid(fetchRevoked, fetchedStore, cache, clock.GetUtcNow(), mode, $"distribution point, {at}");
                }
            }
        }, iter: 60);
    }

    private void AssertNotValid(bool revoked, CasbConfiguration configuration, CrlCache cache, DateTimeOffset at, RevocationCheckMode mode, string where)
    {
        if (!revoked)
        {
            return;
        }

        configuration.Settings.RevocationMode = mode;
        CertificateValidationResult result = new CertificateValidator(configuration, cache).Validate(_leaf, at);
        Assert.False(result.IsValid, $"{where}, {mode}: Valid after an accepted CRL revoked the certificate; the store holds {string.Join(", ", configuration.RevocationLists.Select(e => $"#{e.CrlNumber}/{e.BaseCrlNumber}"))}");
    }

    private CasbConfiguration Store(bool allowWeak)
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Optional).WithCrls(_lab.RootCrl);
        configuration.Settings.AllowWeakCertificateCryptography = allowWeak;
        configuration.Settings.CrlCacheMinutes = (int)CachePeriod.TotalMinutes;
        return configuration;
    }

    private static string? TryAdd(CasbConfiguration configuration, CertificateRevocationList crl)
    {
        try
        {
            RevocationLists.Add(configuration, crl, force: false, DateTimeOffset.UtcNow);
            return null;
        }
        catch (CasbException ex)
        {
            return ex.ErrorId;
        }
    }

    // As Import-CasbConfiguration does it inside a store update: on a copy, kept only when the import succeeds.
    private string? TryImport(ref CasbConfiguration configuration, byte[] der)
    {
        CasbConfiguration copy = Copy(configuration);
        var entry = new RevocationListEntry
        {
            Id = Convert.ToHexString(SHA256.HashData(der)),
            IssuerThumbprint = _lab.Intermediate.Thumbprint,
            AddedAt = DateTimeOffset.UtcNow,
            RawData = Convert.ToBase64String(der),
        };
        try
        {
            // A file of CRLs only: without a settings object, which an import would apply too.
            JsonObject json = JsonNode.Parse(CasbStore.Serialize(new CasbConfiguration { RevocationLists = [entry] }))!.AsObject();
            json.Remove("settings");
            ImportFile file = ConfigurationImport.Read(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), "crls.json");
            ConfigurationImport.Apply(copy, file, ConfigurationImport.Plan(copy, file, replace: false));
        }
        catch (CasbException ex)
        {
            return ex.ErrorId;
        }

        configuration = copy;
        return null;
    }

    private static CasbConfiguration Copy(CasbConfiguration configuration) => CasbStore.Parse(CasbStore.Serialize(configuration), "copy");

    private static string[] Ids(CasbConfiguration configuration) =>
        configuration.RevocationLists.Select(e => e.Id.ToUpperInvariant()).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The CRL the CA publishes as <paramref name="spec"/> says: what it lists follows from the number (a delta: what changed since its base).</summary>
    private byte[] Build(CrlSpec spec, Timeline timeline, DateTimeOffset t0)
    {
        DateTimeOffset thisUpdate = t0.AddMinutes(-spec.MinutesAgo);
        DateTimeOffset nextUpdate = spec.Current ? t0.AddDays(7) : thisUpdate.AddSeconds(30);
        X509RevocationReason? now = timeline.StatusAt(spec.Number);
        X509RevocationReason? entry = now;
        if (spec.Base is { } b)
        {
            X509RevocationReason? atBase = timeline.StatusAt(b);
            entry = spec.Lifts ? X509RevocationReason.RemoveFromCrl
                : now == atBase ? null : now ?? (atBase == X509RevocationReason.CertificateHold ? X509RevocationReason.RemoveFromCrl : null);
        }

        // A CA that takes a revocation back (RFC 5280 forbids it; the store and the cache keep what a replaced CRL revoked).
        if (spec.Drops && entry is not (X509RevocationReason.CertificateHold or X509RevocationReason.RemoveFromCrl))
        {
            entry = null;
        }

        CrlEntry[] entries = entry is { } reason ? [CrlEntry.Of(_leaf, reason)] : [];
        return DeltaCrlBuilder.Build(
            _lab.IntermediateWithKey, spec.Number, entries, spec.Base, spec.Base is null && spec.AnnouncesDelta ? DeltaUrl : null,
            thisUpdate, nextUpdate, hash: spec.Sha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256);
    }

    internal sealed record Timeline(int Hold, int HoldEnd, int Revoked)
    {
        public X509RevocationReason? StatusAt(int number) =>
            number >= Revoked ? X509RevocationReason.KeyCompromise
            : number >= Hold && number < HoldEnd ? X509RevocationReason.CertificateHold
            : null;
    }

    internal sealed record CrlSpec(int Number, int? Base, int MinutesAgo, bool Current, bool Sha1, bool AnnouncesDelta, bool Lifts, bool Drops);
}
