using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Store;

namespace CasbModule.Tests.Certificates;

public sealed class TrustedRootCatalogTests : IClassFixture<LabPkiFixture>
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly LabPki _pki;

    public TrustedRootCatalogTests(LabPkiFixture fixture) => _pki = fixture.Lab;

    [Fact]
    public void A_self_signed_CA_is_a_Root_and_an_issued_CA_an_Intermediate()
    {
        Assert.Equal(TrustedRootKind.Root, TrustedRootCatalog.GetKind(_pki.Root));
        Assert.Equal(TrustedRootKind.Intermediate, TrustedRootCatalog.GetKind(_pki.Intermediate));
    }

    [Fact]
    public void A_CA_whose_issuer_name_is_its_subject_but_that_another_key_signed_is_an_Intermediate()
    {
        using X509Certificate2 other = TestPki.Issue(CertificateSpec.Ca("CN=Look-alike Root"), null);
        using X509Certificate2 lookAlike = TestPki.Issue(CertificateSpec.Ca("CN=Look-alike Root"), other);

        Assert.Equal(lookAlike.Subject, lookAlike.Issuer);
        Assert.Equal(TrustedRootKind.Root, TrustedRootCatalog.GetKind(other));
        Assert.Equal(TrustedRootKind.Intermediate, TrustedRootCatalog.GetKind(lookAlike));
    }

    [Fact]
    public void An_entry_keeps_the_DER_certificate_and_its_facts()
    {
        TrustedRootEntry entry = TrustedRootCatalog.CreateEntry(_pki.Intermediate, Now);

        Assert.Equal(_pki.Intermediate.Thumbprint.ToUpperInvariant(), entry.Thumbprint);
        Assert.Equal(_pki.Intermediate.Subject, entry.Subject);
        Assert.Equal(_pki.Root.Subject, entry.Issuer);
        Assert.Equal(TrustedRootKind.Intermediate, entry.Kind);
        Assert.Equal(_pki.Intermediate.NotAfter.ToUniversalTime(), entry.NotAfter.UtcDateTime);
        Assert.Equal(_pki.Intermediate.RawData, TrustedRootCatalog.ToCertificate(entry).RawData);
    }

    [Theory]
    [InlineData("client")]
    [InlineData("serverAuthOnly")]
    [InlineData("gateway")]
    public void An_end_entity_certificate_is_NotACertificateAuthority(string which)
    {
        X509Certificate2 certificate = which switch
        {
            "client" => _pki.Client,
            "serverAuthOnly" => _pki.ServerAuthOnlyClient,
            _ => _pki.Gateway,
        };

        CasbException error = Assert.Throws<CasbException>(() => TrustedRootCatalog.EnsureCanBeTrusted(certificate, Now, allowOutsideValidity: true, "x.pem"));

        Assert.Equal("NotACertificateAuthority", error.ErrorId);
        Assert.Contains("x.pem", error.Message);
    }

    [Fact]
    public void A_certificate_without_basic_constraints_is_NotACertificateAuthority()
    {
        using X509Certificate2 v1Style = SelfSigned("CN=No Constraints", isCa: null, Now.AddDays(-1), Now.AddDays(1));

        Assert.Equal("NotACertificateAuthority",
            Assert.Throws<CasbException>(() => TrustedRootCatalog.EnsureCanBeTrusted(v1Style, Now, true)).ErrorId);
    }

    [Fact]
    public void An_expired_or_not_yet_valid_CA_is_refused_unless_allowed()
    {
        using X509Certificate2 expired = SelfSigned("CN=Old CA", isCa: true, Now.AddDays(-10), Now.AddDays(-1));
        using X509Certificate2 future = SelfSigned("CN=Future CA", isCa: true, Now.AddDays(1), Now.AddDays(10));

        Assert.Equal("CertificateAuthorityExpired",
            Assert.Throws<CasbException>(() => TrustedRootCatalog.EnsureCanBeTrusted(expired, Now, false)).ErrorId);
        Assert.Equal("CertificateAuthorityNotYetValid",
            Assert.Throws<CasbException>(() => TrustedRootCatalog.EnsureCanBeTrusted(future, Now, false)).ErrorId);
        TrustedRootCatalog.EnsureCanBeTrusted(expired, Now, allowOutsideValidity: true);
        TrustedRootCatalog.EnsureCanBeTrusted(future, Now, allowOutsideValidity: true);
    }

    [Fact]
    public void Adding_a_thumbprint_again_returns_the_existing_entry_and_adds_nothing()
    {
        var configuration = new CasbConfiguration();
        TrustedRootAddResult first = Assert.Single(TrustedRootCatalog.Add(configuration, new[] { _pki.Root }, Now, false));

        TrustedRootAddResult second = Assert.Single(TrustedRootCatalog.Add(configuration, new[] { _pki.Root }, Now.AddHours(1), false));

        Assert.True(first.Added);
        Assert.False(second.Added);
        Assert.Same(first.Entry, second.Entry);
        Assert.Single(configuration.TrustedRoots);
    }

    [Fact]
    public void A_batch_with_one_bad_certificate_adds_none()
    {
        var configuration = new CasbConfiguration();

        Assert.Throws<CasbException>(() => TrustedRootCatalog.Add(configuration, new[] { _pki.Root, _pki.Client, _pki.Intermediate }, Now, false));

        Assert.Empty(configuration.TrustedRoots);
    }

    [Fact]
    public void Thumbprints_match_in_any_case_and_with_separators()
    {
        var configuration = new CasbConfiguration();
        TrustedRootCatalog.Add(configuration, new[] { _pki.Root }, Now, false);
        string spaced = string.Join(":", _pki.Root.Thumbprint.Chunk(2).Select(c => new string(c))).ToLowerInvariant();

        Assert.NotNull(TrustedRootCatalog.Find(configuration, spaced));
        Assert.Equal(_pki.Root.Thumbprint, TrustedRootCatalog.Remove(configuration, _pki.Root.Thumbprint.ToLowerInvariant()).Thumbprint);
        Assert.Empty(configuration.TrustedRoots);
        Assert.Equal("TrustedRootNotFound",
            Assert.Throws<CasbException>(() => TrustedRootCatalog.Remove(configuration, _pki.Root.Thumbprint)).ErrorId);
    }

    [Fact]
    public void Through_the_store_a_repeated_add_leaves_the_revision_and_the_file_unchanged()
    {
        string directory = Directory.CreateTempSubdirectory("casb-roots-").FullName;
        try
        {
            var store = new CasbStore(directory);
            store.Update(c => TrustedRootCatalog.Add(c, new[] { _pki.Root, _pki.Intermediate }, Now, false));
            byte[] before = File.ReadAllBytes(store.ConfigurationFile);

            store.Update(c => TrustedRootCatalog.Add(c, new[] { _pki.Intermediate }, Now.AddMinutes(5), false));

            Assert.Equal(before, File.ReadAllBytes(store.ConfigurationFile));
            CasbConfiguration loaded = store.Load();
            Assert.Equal(1, loaded.Revision);
            Assert.Equal(2, TrustedRootCatalog.ToCollection(loaded).Count);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static X509Certificate2 SelfSigned(string subject, bool? isCa, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using ECDsa key = ECDsa.Create();
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (isCa is not null)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa.Value, false, 0, true));
        }

        return request.CreateSelfSigned(notBefore, notAfter);
    }
}
