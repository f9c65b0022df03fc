using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

public sealed class CertificateValidatorTests : IClassFixture<LabPkiFixture>
{
    private readonly LabPki _lab;

    public CertificateValidatorTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    /// <summary>A validator with its own CRL cache, so tests never share fetched CRLs.</summary>
    private static CertificateValidator Validator(CasbConfiguration configuration, ICrlSource? source = null) =>
        new(configuration, new CrlCache(source ?? new NoNetworkCrlSource()));

    private static CertificateFailureReason[] Reasons(CertificateValidationResult result) =>
        result.Failures.Select(f => f.Reason).ToArray();

    [Fact]
    public void A_valid_client_certificate_earns_the_device_tag_and_names_its_principal_and_chain()
    {
        CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab)).Validate(_lab.Client, Now);

        Assert.True(result.IsValid, string.Join(" ", result.Failures.Select(f => f.Message)));
        Assert.Equal("Valid", result.Status);
        Assert.Equal(new[] { DeviceTags.ValidClientCertificate }, result.DeviceTags);
        Assert.Empty(result.Failures);
        Assert.Equal(_lab.ClientPrincipal, result.Principal);
        Assert.Equal(_lab.Client.Thumbprint, result.Thumbprint);
        Assert.Equal(
            new[] { _lab.Client.Thumbprint, _lab.Intermediate.Thumbprint, _lab.Root.Thumbprint },
            result.Chain.Select(e => e.Thumbprint));
    }

    [Fact]
    public void No_certificate_is_reported_as_such()
    {
        CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab)).Validate(null, Now);

        Assert.False(result.IsValid);
        Assert.Equal(new[] { CertificateFailureReason.NoCertificate }, Reasons(result));
        Assert.Empty(result.DeviceTags);
    }

    [Fact]
    public void A_certificate_from_an_untrusted_root_fails()
    {
        CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab)).Validate(_lab.UntrustedClient, Now);

        Assert.False(result.IsValid);
        Assert.Equal(new[] { CertificateFailureReason.UntrustedRoot }, Reasons(result));
        Assert.Empty(result.DeviceTags);
        Assert.Contains("Casb Untrusted Root CA", result.Failures[0].Message);
    }

    [Fact]
    public void An_empty_store_trusts_nothing()
    {
        CertificateValidationResult result = Validator(new CasbConfiguration()).Validate(_lab.Client, Now);

        Assert.Contains(CertificateFailureReason.UntrustedRoot, Reasons(result));
    }

    [Fact]
    public void An_expired_certificate_fails_as_expired_only()
    {
        CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab)).Validate(_lab.ExpiredClient, Now);

        Assert.Equal(new[] { CertificateFailureReason.Expired }, Reasons(result));
        Assert.Equal("Expired", result.Status);
    }

    [Fact]
    public void A_certificate_is_checked_at_the_time_given()
    {
        CertificateValidator validator = Validator(TestConfigurations.Trusting(_lab));

        Assert.True(validator.Validate(_lab.ExpiredClient, Now.AddDays(-45)).IsValid);
        Assert.Equal(new[] { CertificateFailureReason.NotYetValid }, Reasons(validator.Validate(_lab.Client, Now.AddDays(-3))));
    }

    [Fact]
    public void A_not_yet_valid_certificate_fails()
    {
        using X509Certificate2 future = _lab.IssueClient("CN=Future Device", "future@contoso.com", Now.AddDays(2), Now.AddDays(30));

        CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab)).Validate(future, Now);

        Assert.Equal(new[] { CertificateFailureReason.NotYetValid }, Reasons(result));
    }

    [Fact]
    public void A_CA_certificate_presented_as_a_client_certificate_is_not_an_end_entity()
    {
        using X509Certificate2 ca = _lab.IssueClient("CN=Sub CA Device", null, Now.AddDays(-1), Now.AddDays(30), isCertificateAuthority: true);

        CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab)).Validate(ca, Now);

        Assert.False(result.IsValid);
        Assert.Contains(CertificateFailureReason.NotEndEntity, Reasons(result));
    }

    [Fact]
    public void A_certificate_without_the_client_authentication_usage_fails()
    {
        CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab)).Validate(_lab.ServerAuthOnlyClient, Now);

        Assert.Equal(new[] { CertificateFailureReason.NoClientAuthentication }, Reasons(result));
        Assert.Contains("1.3.6.1.5.5.7.3.2", result.Failures[0].Message);
    }

    [Fact]
    public void Every_failure_is_reported_not_just_the_first()
    {
        using X509Certificate2 bad = _lab.IssueClient("CN=Bad", null, Now.AddDays(-20), Now.AddDays(-10), eku: "1.3.6.1.5.5.7.3.1");

        CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab)).Validate(bad, Now);

        Assert.Equal(
            new[] { CertificateFailureReason.Expired, CertificateFailureReason.NoClientAuthentication }.Order(),
            Reasons(result).Order());
    }

    [Fact]
    public void A_certificate_forged_under_the_name_of_a_trusted_CA_fails_and_its_distribution_point_is_never_fetched()
    {
        using RSA impostorKey = RSA.Create(2048);
        var impostorRequest = new CertificateRequest(_lab.Intermediate.SubjectName, impostorKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        impostorRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using X509Certificate2 impostor = impostorRequest.CreateSelfSigned(Now.AddDays(-1), Now.AddDays(30));
        using RSA leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=Forged Device", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }, false));
        leafRequest.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension(new[] { "http://127.0.0.1:9/ssrf.crl" }));
        using X509Certificate2 forged = leafRequest.Create(impostor, Now.AddDays(-1), Now.AddDays(10), new byte[] { 9, 9, 9 });
        var source = new CountingSource();

        CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab, RevocationCheckMode.Required), source).Validate(forged, Now);

        Assert.False(result.IsValid);
        Assert.Empty(result.DeviceTags);
        Assert.Equal(0, source.Fetches);
    }

    [Fact]
    public void A_missing_intermediate_breaks_the_chain()
    {
        CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab, withIntermediate: false)).Validate(_lab.Client, Now);

        Assert.False(result.IsValid);
        Assert.Contains(CertificateFailureReason.UntrustedRoot, Reasons(result));
        Assert.Contains("Casb Lab Issuing CA", result.Failures[0].Message);
    }

    [Fact]
    public void An_intermediate_found_only_in_the_operating_system_store_is_not_used()
    {
        using var store = new X509Store(StoreName.CertificateAuthority, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        using X509Certificate2 intermediate = X509CertificateLoader.LoadCertificate(_lab.Intermediate.RawData);
        store.Add(intermediate);
        try
        {
            CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab, withIntermediate: false)).Validate(_lab.Client, Now);

            Assert.False(result.IsValid);
            Assert.Empty(result.DeviceTags);
        }
        finally
        {
            store.Remove(intermediate);
        }
    }

    [Fact]
    public void An_intermediate_alone_is_not_a_trust_anchor()
    {
        var configuration = new CasbConfiguration();
        configuration.TrustedRoots.Add(TestConfigurations.Entry(_lab.Intermediate, TrustedRootKind.Intermediate));

        Assert.Contains(CertificateFailureReason.UntrustedRoot, Reasons(Validator(configuration).Validate(_lab.Client, Now)));
    }

    [Fact]
    public void A_root_trusted_by_the_operating_system_but_not_by_the_store_is_untrusted()
    {
        using var store = new X509Store(StoreName.Root, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        using X509Certificate2 root = X509CertificateLoader.LoadCertificate(_lab.UntrustedRoot.RawData);
        store.Add(root);
        try
        {
            CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab)).Validate(_lab.UntrustedClient, Now);

            Assert.False(result.IsValid);
            Assert.Contains(CertificateFailureReason.UntrustedRoot, Reasons(result));
        }
        finally
        {
            store.Remove(root);
        }
    }

    [Fact]
    public void A_certificate_revoked_by_a_store_CRL_fails_with_the_revocation_date()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab).WithCrls(_lab.IntermediateCrl);

        CertificateValidationResult revoked = Validator(configuration).Validate(_lab.RevokedClient, Now);
        CertificateValidationResult client = Validator(configuration).Validate(_lab.Client, Now);

        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(revoked));
        Assert.Contains("KeyCompromise", revoked.Failures[0].Message);
        Assert.True(client.IsValid);
    }

    [Fact]
    public void Revocation_mode_None_ignores_CRLs()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.None).WithCrls(_lab.IntermediateCrl);

        Assert.True(Validator(configuration).Validate(_lab.RevokedClient, Now).IsValid);
    }

    [Fact]
    public void Required_mode_fails_a_certificate_with_no_distribution_point_and_no_CRL_while_Optional_passes_it()
    {
        CertificateValidationResult required = Validator(TestConfigurations.Trusting(_lab, RevocationCheckMode.Required)).Validate(_lab.Client, Now);
        CertificateValidationResult optional = Validator(TestConfigurations.Trusting(_lab, RevocationCheckMode.Optional)).Validate(_lab.Client, Now);

        Assert.Contains(CertificateFailureReason.RevocationUnknown, Reasons(required));
        Assert.Contains("no CRL distribution point", required.Failures[0].Message);
        Assert.True(optional.IsValid);
    }

    [Fact]
    public void Required_mode_passes_when_every_CA_in_the_chain_has_a_current_CRL()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.IntermediateCrl, _lab.RootCrl);

        CertificateValidationResult client = Validator(configuration).Validate(_lab.Client, Now);

        Assert.True(client.IsValid, string.Join(" ", client.Failures.Select(f => f.Message)));
        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(Validator(configuration).Validate(_lab.RevokedClient, Now)));
    }

    [Fact]
    public void A_store_CRL_past_its_next_update_leaves_the_status_of_a_certificate_it_does_not_list_unknown()
    {
        byte[] stale = TestConfigurations.IntermediateCrl(_lab, 2, Now.AddDays(-1), Now.AddDays(-8), _lab.RevokedClient);
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(stale, _lab.RootCrl);

        CertificateValidationResult result = Validator(configuration).Validate(_lab.Client, Now);

        Assert.Equal(new[] { CertificateFailureReason.RevocationUnknown }, Reasons(result));
        Assert.Contains("nextUpdate", result.Failures[0].Message);
    }

    [Fact]
    public void A_store_CRL_with_a_forged_signature_is_not_believed()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl);
        byte[] forged = TestConfigurations.ForgedIntermediateCrl(_lab);
        configuration.RevocationLists.Add(new RevocationListEntry
        {
            Id = "forged",
            Issuer = _lab.Intermediate.Subject,
            IssuerThumbprint = _lab.Intermediate.Thumbprint,
            ThisUpdate = Now,
            RawData = Convert.ToBase64String(forged),
        });

        CertificateValidationResult result = Validator(configuration).Validate(_lab.Client, Now);

        Assert.Equal(new[] { CertificateFailureReason.RevocationUnknown }, Reasons(result));
    }

    [Fact]
    public void A_certificate_revoked_by_a_CRL_from_its_loopback_distribution_point_fails_and_the_CRL_is_fetched_once()
    {
        using var server = new LoopbackCrlServer();
        using X509Certificate2 revoked = _lab.IssueClient("CN=CDP Revoked", "cdp-revoked@contoso.com", Now.AddDays(-1), Now.AddDays(30), server.Url("/issuing.crl"));
        using X509Certificate2 good = _lab.IssueClient("CN=CDP Good", "cdp-good@contoso.com", Now.AddDays(-1), Now.AddDays(30), server.Url("/issuing.crl"));
        server.Content["/issuing.crl"] = TestConfigurations.IntermediateCrl(_lab, 5, Now.AddDays(1), null, revoked);
        var cache = new CrlCache(new HttpCrlSource());
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl);

        CertificateValidationResult first = new CertificateValidator(configuration, cache).Validate(revoked, Now);
        // A later configuration revision builds a new validator; the fetched CRL is reused.
        CertificateValidationResult second = new CertificateValidator(configuration, cache).Validate(good, Now);

        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(first));
        Assert.Contains(server.Url("/issuing.crl"), first.Failures[0].Message);
        Assert.True(second.IsValid, string.Join(" ", second.Failures.Select(f => f.Message)));
        Assert.Equal(1, server.Requests);
        Assert.Equal(1, cache.FetchCount);
    }

    [Fact]
    public void A_distribution_point_that_does_not_answer_leaves_the_status_unknown()
    {
        using var server = new LoopbackCrlServer();
        using X509Certificate2 client = _lab.IssueClient("CN=CDP Missing", null, Now.AddDays(-1), Now.AddDays(30), server.Url("/missing.crl"));
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl);

        CertificateValidationResult required = new CertificateValidator(configuration, new CrlCache(new HttpCrlSource())).Validate(client, Now);
        configuration.Settings.RevocationMode = RevocationCheckMode.Optional;
        CertificateValidationResult optional = new CertificateValidator(configuration, new CrlCache(new HttpCrlSource())).Validate(client, Now);

        Assert.Equal(new[] { CertificateFailureReason.RevocationUnknown }, Reasons(required));
        Assert.Contains("404", required.Failures[0].Message);
        Assert.True(optional.IsValid);
    }

    [Fact]
    public void A_fetched_CRL_with_a_forged_signature_is_ignored()
    {
        var source = new FixedCrlSource(TestConfigurations.ForgedIntermediateCrl(_lab));
        using X509Certificate2 client = _lab.IssueClient("CN=CDP Forged", null, Now.AddDays(-1), Now.AddDays(30), "http://127.0.0.1:9/forged.crl");
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl);

        CertificateValidationResult result = Validator(configuration, source).Validate(client, Now);

        Assert.Equal(new[] { CertificateFailureReason.RevocationUnknown }, Reasons(result));
        Assert.Contains("not signed by", result.Failures[0].Message);
    }

    [Fact]
    public void A_fetched_CRL_is_fetched_again_once_the_cache_time_has_passed()
    {
        var clock = new ManualTimeProvider(Now);
        var source = new FixedCrlSource(TestConfigurations.IntermediateCrl(_lab, 3, Now.AddDays(1)));
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        using X509Certificate2 client = _lab.IssueClient("CN=CDP Cached", null, Now.AddDays(-1), Now.AddDays(30), "http://127.0.0.1:9/cached.crl");
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab);
        configuration.Settings.CrlCacheMinutes = 10;

        new CertificateValidator(configuration, cache).Validate(client, Now);
        clock.Advance(TimeSpan.FromMinutes(9));
        new CertificateValidator(configuration, cache).Validate(client, Now);
        Assert.Equal(1, source.Fetches);

        clock.Advance(TimeSpan.FromMinutes(2));
        new CertificateValidator(configuration, cache).Validate(client, Now);
        Assert.Equal(2, source.Fetches);
    }

    [Fact]
    public void Results_are_cached_per_certificate_while_nothing_they_depend_on_changes()
    {
        CertificateValidator validator = Validator(TestConfigurations.Trusting(_lab).WithCrls(_lab.IntermediateCrl));
        DateTimeOffset t = Now;

        CertificateValidationResult first = validator.Validate(_lab.Client, t);
        CertificateValidationResult again = validator.Validate(X509CertificateLoader.LoadCertificate(_lab.Client.RawData), t.AddMinutes(1));
        CertificateValidationResult later = validator.Validate(_lab.Client, t + CertificateValidator.ResultTtl + TimeSpan.FromSeconds(1));
        CertificateValidationResult afterExpiry = validator.Validate(_lab.Client, _lab.Client.NotAfter.ToUniversalTime().AddDays(1));

        Assert.Same(first, again);
        Assert.NotSame(first, later);
        Assert.True(later.IsValid);
        Assert.Contains(CertificateFailureReason.Expired, Reasons(afterExpiry));
    }

    [Fact]
    public void A_cached_result_is_not_reused_past_the_CRL_next_update()
    {
        byte[] shortCrl = TestConfigurations.IntermediateCrl(_lab, 7, Now.AddMinutes(2));
        CertificateValidator validator = Validator(TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(shortCrl, _lab.RootCrl));

        CertificateValidationResult first = validator.Validate(_lab.Client, Now);
        CertificateValidationResult afterNextUpdate = validator.Validate(_lab.Client, Now.AddMinutes(3));

        Assert.True(first.IsValid);
        Assert.Equal(new[] { CertificateFailureReason.RevocationUnknown }, Reasons(afterNextUpdate));
    }

    [Fact]
    public void A_certificate_with_an_undecodable_SAN_is_a_failure_not_an_exception()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Garbage SAN", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }, false));
        request.CertificateExtensions.Add(new X509Extension("2.5.29.17", new byte[] { 0x30, 0x05, 0xA0, 0xFF, 0x01 }, false));
        using X509Certificate2 garbage = request.Create(_lab.IntermediateWithKey, Now.AddDays(-1), Now.AddDays(1), new byte[] { 1, 2, 3, 4 });

        CertificateValidationResult result = Validator(TestConfigurations.Trusting(_lab)).Validate(garbage, Now);

        Assert.False(result.IsValid);
        Assert.Equal(CertificateFailureReason.MalformedSubjectAlternativeName, result.Failures[0].Reason);
        Assert.Null(result.Principal);
    }

    private sealed class CountingSource : ICrlSource
    {
        public int Fetches { get; private set; }

        public byte[] Fetch(Uri location, TimeSpan timeout)
        {
            Fetches++;
            throw new InvalidOperationException("must not be fetched");
        }
    }

    private sealed class FixedCrlSource(byte[] crl) : ICrlSource
    {
        public int Fetches { get; private set; }

        public byte[] Fetch(Uri location, TimeSpan timeout)
        {
            Fetches++;
            return crl;
        }
    }
}

internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
