using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Store;
using CasbModule.Tests.Certificates;

namespace CasbModule.Tests.Catalogs;

/// <summary>
/// Every CRL Add-CasbCertificateRevocationList refuses (without -Force), Import-CasbConfiguration refuses with the same
/// error id, and the store is left as it was: one validation whatever the entrance.
/// </summary>
public sealed class CrlImportEntranceTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private readonly LabPki _lab;
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-crlentrance-").FullName;

    public CrlImportEntranceTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Refused() => ["untrusted issuer", "forged signature", "SHA-1 signature", "expired", "older complete", "older delta beside a stored delta"];

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_CRL_that_Add_refuses_is_refused_by_Import_with_the_same_error_id_and_the_store_unchanged(string kind)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        (byte[][] stored, byte[] crl) = kind switch
        {
            "untrusted issuer" => (Array.Empty<byte[]>(), OtherCaCrl()),
            "forged signature" => ([], TestConfigurations.ForgedIntermediateCrl(_lab, _lab.Client)),
            "SHA-1 signature" => ([], Sha1Crl()),
            "expired" => ([], TestConfigurations.IntermediateCrl(_lab, 3, now.AddDays(-1), now.AddDays(-8))),
            "older complete" => ([TestConfigurations.IntermediateCrl(_lab, 5, now.AddDays(7))], TestConfigurations.IntermediateCrl(_lab, 3, now.AddDays(7))),
            "older delta beside a stored delta" => (
                [DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], "http://127.0.0.1:9/issuing+.crl"), DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 12, 10, [CrlEntry.Of(_lab.Client)])],
                DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, [])),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var store = new CasbStore(Path.Combine(_directory, Guid.NewGuid().ToString("N")));
        store.Update(c =>
        {
            c.TrustedRoots.AddRange(TestConfigurations.Trusting(_lab).TrustedRoots);
            foreach (byte[] der in stored)
            {
                RevocationLists.Add(c, CertificateRevocationList.Parse(der), false, now);
            }
        });
        string addError = Assert.Throws<CasbException>(() => RevocationLists.Add(store.Load(), CertificateRevocationList.Parse(crl), false, now)).ErrorId;
        ImportFile file = ConfigurationImport.Read(CasbStore.Serialize(new CasbConfiguration { RevocationLists = [Entry(crl)] }), "policies.json");
        byte[] before = store.ReadDocument()!;

        CasbException error = Assert.Throws<CasbException>(() => store.Update(c =>
        {
            ConfigurationImport.Apply(c, file, ConfigurationImport.Plan(c, file, replace: false));
            return c;
        }));

        Assert.Equal(addError, error.ErrorId);
        Assert.Equal(before, store.ReadDocument());
    }

    // As Export-CasbConfiguration writes a stored CRL.
    private RevocationListEntry Entry(byte[] der) => new()
    {
        Id = Convert.ToHexString(SHA256.HashData(der)),
        IssuerThumbprint = _lab.Intermediate.Thumbprint,
        AddedAt = DateTimeOffset.UtcNow,
        RawData = Convert.ToBase64String(der),
    };

    private static byte[] OtherCaCrl()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Another CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.KeyCertSign, true));
        using X509Certificate2 ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        return new CertificateRevocationListBuilder().Build(ca, BigInteger.One, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private byte[] Sha1Crl() =>
        TestPki.Crl(_lab.IntermediateWithKey, 1, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(7), hash: HashAlgorithmName.SHA1);
}

/// <summary>What Import-CasbConfiguration must keep taking with Add's checks on: a store's export, with its CA, complete and delta CRLs together.</summary>
public sealed class CrlImportRoundTripTests : IClassFixture<LabPkiFixture>, IDisposable
{
    private readonly LabPki _lab;
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-crlroundtrip-").FullName;

    public CrlImportRoundTripTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, false)]
    [InlineData(false, false, true)]
    [InlineData(true, false, true)]
    public void An_export_with_a_CA_a_complete_and_a_delta_CRL_imports_into_a_new_store_and_back_into_its_own(bool deltaFirst, bool wrongThumbprint, bool replace)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        var source = new CasbStore(Path.Combine(_directory, Guid.NewGuid().ToString("N")));
        source.Update(c =>
        {
            c.TrustedRoots.AddRange(TestConfigurations.Trusting(_lab).TrustedRoots);
            RevocationLists.Add(c, CertificateRevocationList.Parse(DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], "http://127.0.0.1:9/issuing+.crl")), false, now);
            RevocationLists.Add(c, CertificateRevocationList.Parse(DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, [CrlEntry.Of(_lab.Client)])), false, now);
        });
        CasbConfiguration exported = source.Load();
        if (deltaFirst)
        {
            exported.RevocationLists.Reverse();
        }

        if (wrongThumbprint)
        {
            // A hand-edited file, or a CA renewed since: the CRLs are kept under the CA whose key verifies them.
            exported.RevocationLists.ForEach(e => e.IssuerThumbprint = _lab.Root.Thumbprint);
        }

        ImportFile file = ConfigurationImport.Read(CasbStore.Serialize(exported), "export.json");
        foreach (CasbStore target in new[] { new CasbStore(Path.Combine(_directory, Guid.NewGuid().ToString("N"))), source })
        {
            target.Update(c =>
            {
                ConfigurationImport.Apply(c, file, ConfigurationImport.Plan(c, file, replace));
                return c;
            });

            CasbConfiguration imported = target.Load();
            Assert.Equal(2, imported.RevocationLists.Count);
            Assert.All(imported.RevocationLists, e => Assert.Equal(_lab.Intermediate.Thumbprint, e.IssuerThumbprint, ignoreCase: true));
            CertificateValidationResult result = new CertificateValidator(imported, new CrlCache(new NoNetworkCrlSource(), runInBackground: work => work())).Validate(_lab.Client, now);
            Assert.Equal(CertificateFailureReason.Revoked, Assert.Single(result.Failures).Reason);
        }
    }
}
