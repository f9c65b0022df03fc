using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

/// <summary>Every certificate of the generated corpus gets exactly its verdict.</summary>
public sealed class CertificateCorpusTests : IClassFixture<CorpusPki>
{
    private readonly CorpusPki _pki;

    public CertificateCorpusTests(CorpusPki pki) => _pki = pki;

    public static TheoryData<string> Names => new(CertificateCorpus.Cases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_certificate_of_the_corpus_gets_its_verdict(string name)
    {
        CorpusCase corpusCase = CertificateCorpus.Cases.Single(c => c.Name == name);
        CorpusSetup setup = corpusCase.Build(_pki);
        using X509Certificate2 leaf = setup.Leaf;
        var validator = new CertificateValidator(setup.Configuration, new CrlCache(setup.CrlSource ?? new NoNetworkCrlSource()));

        CertificateValidationResult result = validator.Validate(leaf, setup.At);

        string failures = string.Join(" | ", result.Failures.Select(f => $"{f.Reason}: {f.Message}"));
        if (corpusCase.Expected is not { } expected)
        {
            Assert.True(result.IsValid, failures);
            Assert.Equal(new[] { DeviceTags.ValidClientCertificate }, result.DeviceTags);
            return;
        }

        Assert.False(result.IsValid);
        Assert.Empty(result.DeviceTags);
        // The one reason first (the block page shows it) and nothing else, so that it says precisely what is wrong.
        Assert.True(result.Failures.All(f => f.Reason == expected || corpusCase.AlsoAllowed.Contains(f.Reason)), $"expected only {expected}, got: {failures}");
        Assert.Equal(expected.ToString(), result.Status);
    }

    [Fact]
    public void The_corpus_has_a_failing_certificate_for_every_failure_reason_a_certificate_can_have()
    {
        // NoCertificate needs no certificate; PartialChain, Expired, NotYetValid, NoClientAuthentication,
        // InvalidSignature and InvalidCertificate are covered by CertificateValidatorTests.
        var elsewhere = new[]
        {
            CertificateFailureReason.NoCertificate, CertificateFailureReason.PartialChain, CertificateFailureReason.Expired,
            CertificateFailureReason.NotYetValid, CertificateFailureReason.NoClientAuthentication, CertificateFailureReason.InvalidSignature,
            CertificateFailureReason.InvalidCertificate,
        };

        IEnumerable<CertificateFailureReason> missing = Enum.GetValues<CertificateFailureReason>()
            .Except(elsewhere)
            .Except(CertificateCorpus.Cases.Where(c => c.Expected is not null).Select(c => c.Expected!.Value));

        Assert.Empty(missing);
    }

    [Fact]
    public void Corpus_names_are_unique()
    {
        Assert.Equal(CertificateCorpus.Cases.Count, CertificateCorpus.Cases.Select(c => c.Name).Distinct().Count());
    }
}
