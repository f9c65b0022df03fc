using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CasbCore.Catalogs;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Store;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// A stored CRL replaced by a newer one of its CA and scope (Add-CasbCertificateRevocationList, Import-CasbConfiguration) left
/// behind what only it revoked: a CA that dropped a key-compromise entry of a certificate that has not expired, or a delta
/// CRL's entry that the next complete CRL forgot, made the certificate Valid again. The newer CRL now carries those
/// revocations (RevocationListEntry.Retired), from CRL to CRL, until the admin removes it; a certificateHold still lifts.
/// </summary>
public sealed class StoreRetiredRevocationTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private readonly LabPki _lab;
    private readonly X509Certificate2 _dropped;
    private readonly X509Certificate2 _held;
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    public StoreRetiredRevocationTests(LabPkiFixture fixture)
    {
        _lab = fixture.Lab;
        _dropped = _lab.IssueClient("CN=Store dropped", "store-dropped@contoso.com", _now.AddDays(-30), _now.AddDays(30), null);
        _held = _lab.IssueClient("CN=Store held", "store-held@contoso.com", _now.AddDays(-30), _now.AddDays(30), null);
    }

    public void Dispose()
    {
        _dropped.Dispose();
        _held.Dispose();
    }

    public static TheoryData<RevocationCheckMode, bool> Entrances() => new()
    {
        { RevocationCheckMode.Optional, false },
        { RevocationCheckMode.Required, false },
        { RevocationCheckMode.Optional, true },
        { RevocationCheckMode.Required, true },
    };

    [Theory]
    [MemberData(nameof(Entrances))]
    public void A_revocation_the_newer_complete_CRL_drops_stays_in_force_and_a_hold_still_lifts(RevocationCheckMode mode, bool import)
    {
        CasbConfiguration store = Store(mode);
        Enter(store, Complete(4, CrlEntry.Of(_dropped), CrlEntry.Of(_held, X509RevocationReason.CertificateHold)), import);
        Assert.Equal("Revoked", Validate(store, _dropped).Status);

        Enter(store, Complete(5), import);

        RevocationListEntry newest = Assert.Single(store.RevocationLists, e => e.CrlNumber == "5");
        Assert.Single(store.RevocationLists, e => e.IssuerThumbprint.Equals(_lab.Intermediate.Thumbprint, StringComparison.OrdinalIgnoreCase));
        CertificateValidationResult dropped = Validate(store, _dropped);
        Assert.Equal("Revoked", dropped.Status);
        Assert.Contains("(CRL number 5) replaced", dropped.Failures[0].Message);
        Assert.Equal("Valid", Validate(store, _held).Status);
        RetiredRevocationEntry retired = Assert.Single(newest.Retired!);
        Assert.Equal(Convert.ToHexString(_dropped.SerialNumberBytes.Span), retired.Serial, ignoreCase: true);
        Assert.Equal("4", retired.CrlNumber);

        // Carried on by the next CRL, and through a store written and read again.
        Enter(store, Complete(6), import);
        store = CasbStore.Parse(CasbStore.Serialize(store), "copy");
        Assert.Equal("Revoked", Validate(store, _dropped).Status);
    }

    [Theory]
    [MemberData(nameof(Entrances))]
    public void A_delta_CRLs_revocation_that_the_next_complete_CRL_forgot_stays_in_force(RevocationCheckMode mode, bool import)
    {
        CasbConfiguration store = Store(mode);
        Enter(store, Complete(1), import);
        Enter(store, DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 2, 1, [CrlEntry.Of(_dropped)], _now.AddMinutes(-5), _now.AddDays(1)), import);
        Assert.Equal("Revoked", Validate(store, _dropped).Status);

        Enter(store, Complete(3), import); // drops delta #2 as superseded, and does not list what it did

        Assert.DoesNotContain(store.RevocationLists, e => e.BaseCrlNumber is not null);
        Assert.Equal("Revoked", Validate(store, _dropped).Status);
    }

    [Fact]
    public void Importing_an_older_export_of_the_same_CRL_forgets_nothing_it_carries()
    {
        CasbConfiguration store = Store(RevocationCheckMode.Optional);
        byte[] four = Complete(4, CrlEntry.Of(_dropped));
        byte[] five = Complete(5);
        Enter(store, four, import: false);
        CasbConfiguration exported = Store(RevocationCheckMode.Optional);
        Enter(exported, five, import: false); // the same CRL #5, carrying nothing
        Enter(store, five, import: false);
        Assert.NotNull(Assert.Single(store.RevocationLists, e => e.CrlNumber == "5").Retired);

        Import(store, Assert.Single(exported.RevocationLists, e => e.CrlNumber == "5"));

        Assert.Equal("Revoked", Validate(store, _dropped).Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_files_own_retired_list_cannot_push_a_revocation_out_past_the_cap(bool held)
    {
        CasbConfiguration store = Store(RevocationCheckMode.Optional);
        byte[] five = Complete(5);
        Enter(store, Complete(4, CrlEntry.Of(_dropped)), import: false);
        if (held)
        {
            Enter(store, five, import: false); // #5 carries the revocation #4 listed
        }

        // A hand-written file: the same or the newer CRL, with a cap's worth of made-up revocations dated later than the real one.
        var made = Enumerable.Range(1, RevocationLists.MaxRetired)
            .Select(i => new RetiredRevocationEntry { Serial = $"7F{i:X8}", RevocationDate = _now, Reason = "KeyCompromise" })
            .ToList();
        made[0] = new RetiredRevocationEntry { Serial = Convert.ToHexString(_dropped.SerialNumberBytes.Span), RevocationDate = DateTimeOffset.UnixEpoch, Verified = true };
        Import(store, new RevocationListEntry
        {
            Id = Convert.ToHexString(SHA256.HashData(five)),
            IssuerThumbprint = _lab.Intermediate.Thumbprint,
            AddedAt = _now,
            RawData = Convert.ToBase64String(five),
            Retired = made,
        });

        Assert.Equal("Revoked", Validate(store, _dropped).Status);

        // Nor at the next CRL, in a store written and read again.
        store = CasbStore.Parse(CasbStore.Serialize(store), "copy");
        Enter(store, Complete(6), import: false);
        Assert.Equal("Revoked", Validate(store, _dropped).Status);
        Assert.Equal(RevocationLists.MaxRetired, Assert.Single(store.RevocationLists, e => e.CrlNumber == "6").Retired!.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_import_with_replace_that_brings_the_newer_CRL_carries_what_the_removed_one_revoked(bool delta)
    {
        CasbConfiguration store = Store(RevocationCheckMode.Required);
        Enter(store, Complete(1), import: false);
        Enter(store, delta ? DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 2, 1, [CrlEntry.Of(_dropped)], _now.AddMinutes(-5), _now.AddDays(1)) : Complete(2, CrlEntry.Of(_dropped)), import: false);
        Assert.Equal("Revoked", Validate(store, _dropped).Status);

        // The file (a store built afresh elsewhere) holds the CA's newer complete CRL, which no longer lists the certificate.
        CasbConfiguration file = CasbStore.Parse(CasbStore.Serialize(store), "file");
        file.RevocationLists.RemoveAll(e => e.IssuerThumbprint.Equals(_lab.Intermediate.Thumbprint, StringComparison.OrdinalIgnoreCase));
        byte[] three = Complete(3);
        file.RevocationLists.Add(new RevocationListEntry
        {
            Id = Convert.ToHexString(SHA256.HashData(three)),
            IssuerThumbprint = _lab.Intermediate.Thumbprint,
            AddedAt = _now,
            RawData = Convert.ToBase64String(three),
        });
        ImportFile read = ConfigurationImport.Read(CasbStore.Serialize(file), "store.json");
        ConfigurationImport.Apply(store, read, ConfigurationImport.Plan(store, read, replace: true));

        Assert.Equal("Revoked", Validate(store, _dropped).Status);
    }

    [Fact]
    public void Removing_the_CRL_forgets_what_it_carried()
    {
        CasbConfiguration store = Store(RevocationCheckMode.Optional);
        Enter(store, Complete(4, CrlEntry.Of(_dropped)), import: false);
        byte[] five = Complete(5);
        Enter(store, five, import: false);
        Assert.Equal("Revoked", Validate(store, _dropped).Status);

        RevocationLists.Remove(store, Assert.Single(store.RevocationLists, e => e.CrlNumber == "5").Id);
        Enter(store, five, import: false);

        Assert.Equal("Valid", Validate(store, _dropped).Status);
    }

    private CasbConfiguration Store(RevocationCheckMode mode) => TestConfigurations.Trusting(_lab, mode).WithCrls(_lab.RootCrl);

    private byte[] Complete(int number, params CrlEntry[] entries) =>
        DeltaCrlBuilder.Base(_lab.IntermediateWithKey, number, entries, thisUpdate: _now.AddMinutes(-60 + number), nextUpdate: _now.AddDays(1));

    private void Enter(CasbConfiguration store, byte[] der, bool import)
    {
        if (import)
        {
            Import(store, new RevocationListEntry
            {
                Id = Convert.ToHexString(SHA256.HashData(der)),
                IssuerThumbprint = _lab.Intermediate.Thumbprint,
                AddedAt = _now,
                RawData = Convert.ToBase64String(der),
            });
        }
        else
        {
            RevocationLists.Add(store, CertificateRevocationList.Parse(der), force: false, _now);
        }
    }

    // As Import-CasbConfiguration does with a file of CRLs only (no settings object, which an import would apply too).
    private static void Import(CasbConfiguration store, RevocationListEntry entry)
    {
        JsonObject json = JsonNode.Parse(CasbStore.Serialize(new CasbConfiguration { RevocationLists = [entry] }))!.AsObject();
        json.Remove("settings");
        ImportFile file = ConfigurationImport.Read(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), "crls.json");
        ConfigurationImport.Apply(store, file, ConfigurationImport.Plan(store, file, replace: false));
    }

    private CertificateValidationResult Validate(CasbConfiguration store, X509Certificate2 certificate) =>
        new CertificateValidator(store, new CrlCache(new NoNetworkCrlSource(), runInBackground: work => work())).Validate(certificate, _now);
}
