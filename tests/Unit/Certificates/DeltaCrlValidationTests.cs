using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;
using CsCheck;

namespace CasbModule.Tests.Certificates;

/// <summary>How the validator reads a complete CRL with its delta CRL (RFC 5280 6.3.3), stored or fetched.</summary>
public sealed class DeltaCrlValidationTests : IClassFixture<DeltaCrlValidationTests.Clients>
{
    private const string CompleteUrl = "http://crl.contoso.test/issuing.crl";
    private const string DeltaUrl = "http://crl.contoso.test/issuing+.crl";

    private readonly LabPki _lab;
    private readonly Clients _clients;

    public DeltaCrlValidationTests(Clients clients)
    {
        _clients = clients;
        _lab = clients.Lab;
    }

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    private CertificateValidator Validator(CasbConfiguration configuration, ICrlSource? source = null) =>
        new(configuration, new CrlCache(source ?? new NoNetworkCrlSource(), runInBackground: work => work()));

    private CasbConfiguration Stored(byte[] complete, byte[]? delta = null)
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl, complete);
        return delta is null ? configuration : configuration.WithCrls(delta);
    }

    [Fact]
    public void A_certificate_revoked_only_in_the_stored_delta_is_Revoked_with_the_reason_and_the_delta_named()
    {
        X509Certificate2 client = _clients.All[0];
        CasbConfiguration configuration = Stored(
            DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], DeltaUrl),
            DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, [CrlEntry.Of(client, X509RevocationReason.KeyCompromise)]));

        CertificateValidationResult result = Validator(configuration).Validate(client, Now);

        CertificateFailure failure = Assert.Single(result.Failures);
        Assert.Equal(CertificateFailureReason.Revoked, failure.Reason);
        Assert.Contains("reason KeyCompromise", failure.Message);
        Assert.Contains("delta CRL", failure.Message);
        Assert.True(Validator(configuration).Validate(_clients.All[1], Now).IsValid);
    }

    [Fact]
    public void A_certificateHold_in_the_base_lifted_by_removeFromCRL_in_the_delta_validates()
    {
        X509Certificate2 client = _clients.All[0];
        byte[] complete = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [CrlEntry.Of(client, X509RevocationReason.CertificateHold)], DeltaUrl);

        CertificateValidationResult held = Validator(Stored(complete, DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, []))).Validate(client, Now);
        CertificateValidationResult lifted = Validator(Stored(
            complete, DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 12, 10, [CrlEntry.Of(client, X509RevocationReason.RemoveFromCrl)]))).Validate(client, Now);

        Assert.Contains("reason CertificateHold", Assert.Single(held.Failures, f => f.Reason == CertificateFailureReason.Revoked).Message);
        Assert.True(lifted.IsValid, string.Join("; ", lifted.Failures.Select(f => f.Message)));
    }

    [Theory]
    [InlineData("none stored, none fetched")]
    [InlineData("the delta is past its nextUpdate")]
    public void A_base_that_announces_a_delta_without_a_current_one_fails_closed_naming_the_missing_delta(string kind)
    {
        byte[] complete = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], DeltaUrl);
        byte[]? delta = kind == "none stored, none fetched"
            ? null
            : DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, [], thisUpdate: Now.AddDays(-2), nextUpdate: Now.AddHours(-1));

        CertificateValidationResult result = Validator(Stored(complete, delta)).Validate(_clients.All[0], Now);

        CertificateFailure failure = Assert.Single(result.Failures);
        Assert.Equal(CertificateFailureReason.RevocationUnknown, failure.Reason);
        Assert.Contains($"announces a delta CRL (Freshest CRL at {DeltaUrl})", failure.Message);
        Assert.Contains(kind == "none stored, none fetched" ? "no delta CRL that completes it" : "is past its nextUpdate", failure.Message);
    }

    [Fact]
    public void A_base_fetched_from_a_distribution_point_brings_its_delta_from_the_Freshest_CRL_URL_through_the_same_cache()
    {
        using X509Certificate2 client = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, CompleteUrl, null);
        var source = new Published
        {
            [CompleteUrl] = DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], DeltaUrl),
            [DeltaUrl] = DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, [CrlEntry.Of(client, X509RevocationReason.Superseded)]),
        };
        var cache = new CrlCache(source, runInBackground: work => work());
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl);

        CertificateValidationResult revoked = new CertificateValidator(configuration, cache).Validate(client, Now);
        CertificateValidationResult other = new CertificateValidator(configuration, cache).Validate(_clients.All[0], Now); // no CDP: unknown
        source[DeltaUrl] = TestConfigurations.ForgedIntermediateCrl(_lab);
        cache.Clear();
        CertificateValidationResult forged = new CertificateValidator(configuration, cache).Validate(client, Now);

        CertificateFailure failure = Assert.Single(revoked.Failures);
        Assert.Equal(CertificateFailureReason.Revoked, failure.Reason);
        Assert.Contains($"the delta CRL at {DeltaUrl}", failure.Message);
        Assert.Equal([CompleteUrl, DeltaUrl], source.Asked.Distinct());
        Assert.Equal(CertificateFailureReason.RevocationUnknown, Assert.Single(other.Failures).Reason);
        CertificateFailure unknown = Assert.Single(forged.Failures);
        Assert.Equal(CertificateFailureReason.RevocationUnknown, unknown.Reason);
        Assert.Contains("not signed by", unknown.Message);
    }

    [Fact]
    public void The_Freshest_CRL_URL_of_the_certificate_is_asked_when_the_stored_base_has_no_current_delta()
    {
        using X509Certificate2 client = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, null, DeltaUrl);
        var source = new Published { [DeltaUrl] = DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, []) };
        CasbConfiguration configuration = Stored(DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, [], freshest: null));

        CertificateValidationResult result = Validator(configuration, source).Validate(client, Now);

        Assert.True(result.IsValid, string.Join("; ", result.Failures.Select(f => f.Message)));
        Assert.Equal([DeltaUrl], source.Asked);
    }

    /// <summary>
    /// RFC 5280 as a model: with a delta, a serial's status is the delta's entry when it lists it (removeFromCRL: a hold
    /// in the base lifted, any other revocation of the base stands), else the base's; without one, only what the base lists is known (revoked), the rest is unknown.
    /// </summary>
    [Fact]
    public void For_every_serial_the_validator_agrees_with_the_RFC_5280_model_of_base_and_delta()
    {
        X509RevocationReason?[] inBase = [null, X509RevocationReason.KeyCompromise, X509RevocationReason.CertificateHold];
        X509RevocationReason?[] inDelta = [null, X509RevocationReason.KeyCompromise, X509RevocationReason.CertificateHold, X509RevocationReason.RemoveFromCrl, X509RevocationReason.Superseded];
        int count = _clients.All.Length;
        Gen<(int[] Base, int[] Delta, bool WithDelta)> cases = Gen.Select(
            Gen.Int[0, inBase.Length - 1].Array[count], Gen.Int[0, inDelta.Length - 1].Array[count], Gen.Bool, (b, d, w) => (b, d, w));

        cases.Sample(c =>
        {
            byte[] complete = DeltaCrlBuilder.Base(
                _lab.IntermediateWithKey, 10,
                Enumerable.Range(0, count).Where(i => inBase[c.Base[i]] is not null).Select(i => CrlEntry.Of(_clients.All[i], inBase[c.Base[i]])),
                DeltaUrl);
            byte[]? delta = c.WithDelta
                ? DeltaCrlBuilder.Delta(
                    _lab.IntermediateWithKey, 11, 10,
                    Enumerable.Range(0, count).Where(i => inDelta[c.Delta[i]] is not null).Select(i => CrlEntry.Of(_clients.All[i], inDelta[c.Delta[i]])))
                : null;
            CertificateValidator validator = Validator(Stored(complete, delta));

            for (int i = 0; i < count; i++)
            {
                X509RevocationReason? b = inBase[c.Base[i]];
                X509RevocationReason? d = c.WithDelta ? inDelta[c.Delta[i]] : null;
                // removeFromCRL ends a hold (RFC 5280 5.3.1); any other revocation of the base stands.
                (CertificateFailureReason? Reason, X509RevocationReason? Because) expected = d is { } fromDelta
                    ? (fromDelta != X509RevocationReason.RemoveFromCrl ? (CertificateFailureReason.Revoked, fromDelta)
                        : b is { } held && held != X509RevocationReason.CertificateHold ? (CertificateFailureReason.Revoked, held) : (null, null))
                    : b is { } fromBase
                        ? (CertificateFailureReason.Revoked, fromBase)
                        : (c.WithDelta ? null : CertificateFailureReason.RevocationUnknown, null);

                CertificateValidationResult result = validator.Validate(_clients.All[i], Now);

                CertificateFailureReason? actual = result.Failures.Count == 0 ? null : Assert.Single(result.Failures).Reason;
                Assert.True(expected.Reason == actual, $"serial {i}: base {b}, delta {(c.WithDelta ? d?.ToString() ?? "silent" : "none")}: expected {expected.Reason}, got {actual} ({string.Join("; ", result.Failures.Select(f => f.Message))})");
                if (expected.Because is { } because)
                {
                    Assert.Contains($"reason {because}", result.Failures[0].Message);
                }
            }
        }, iter: 40);
    }

    /// <summary>A lab PKI and a few client certificates without distribution points, made once (RSA keys are slow).</summary>
    public sealed class Clients : IDisposable
    {
        public LabPki Lab { get; } = LabPki.Create();

        public X509Certificate2[] All { get; }

        public Clients()
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            All = Enumerable.Range(0, 5).Select(i => Lab.IssueClient($"CN=Delta device {i}", $"device{i}@contoso.com", now.AddDays(-1), now.AddDays(30))).ToArray();
        }

        public void Dispose()
        {
            foreach (X509Certificate2 client in All)
            {
                client.Dispose();
            }

            Lab.Dispose();
        }
    }

    private sealed class Published : Dictionary<string, byte[]>, ICrlSource
    {
        public List<string> Asked { get; } = new();

        public byte[] Fetch(Uri location, TimeSpan timeout)
        {
            lock (Asked)
            {
                Asked.Add(location.AbsoluteUri);
            }

            return TryGetValue(location.AbsoluteUri, out byte[]? crl) ? crl : throw new HttpRequestException("connection refused (test)");
        }
    }
}
