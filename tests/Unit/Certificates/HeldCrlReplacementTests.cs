using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// A CRL held from a distribution point, which lists a certificate, is replaced only by a download that Add-CasbCertificateRevocationList
/// would take in its place: signed by the CA with an accepted algorithm, a complete CRL of the same scope, not older. Anything else
/// (a SHA-1 or MD5 signed CRL, the CA's delta CRL or another partition replayed at the URL) once replaced it, and the revoked
/// certificate's status became unknown: valid in Optional mode.
/// </summary>
public sealed class HeldCrlReplacementTests : IClassFixture<LabPkiFixture>
{
    private const string Url = "http://127.0.0.1:9/held.crl";

    private readonly LabPki _lab;

    public HeldCrlReplacementTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    /// <summary>What the distribution point serves after the CRL that lists the certificate (number 5): a newer one that does not.</summary>
    public static TheoryData<string, bool> Neighbours() => new()
    {
        { "SHA-1 signed", false },
        { "MD5 signed", true },
        { "delta CRL", false },
        { "other partition", false },
        { "signed by another key", false },
    };

    [Theory]
    [MemberData(nameof(Neighbours))]
    public void A_certificate_a_held_CRL_lists_stays_revoked_whatever_newer_CRL_the_point_serves_that_could_not_replace_it(string neighbour, bool allowWeak)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        DateTimeOffset t0 = clock.GetUtcNow();
        using X509Certificate2 revoked = _lab.IssueClient("CN=Held Revoked", "held-revoked@contoso.com", t0.AddDays(-1), t0.AddDays(60), Url);
        var source = new SwitchableSource { Crl = TestConfigurations.IntermediateCrl(_lab, 5, t0.AddDays(7), t0.AddMinutes(-1), revoked) };
        var cache = new CrlCache(source, clock, runInBackground: work => work());
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Optional).WithCrls(_lab.RootCrl);
        configuration.Settings.AllowWeakCertificateCryptography = allowWeak;
        CertificateValidationResult Check() => new CertificateValidator(configuration, cache).Validate(revoked, clock.GetUtcNow());
        Assert.Equal("Revoked", Check().Status);

        clock.Advance(TimeSpan.FromDays(8)); // past the held CRL's nextUpdate: the next request fetches
        source.Crl = Newer(neighbour, 6, clock.GetUtcNow());
        CertificateValidationResult after = Check();

        Assert.Equal("Revoked", after.Status);
        Assert.Contains(Url, after.Failures[0].Message);
    }

    private byte[] Newer(string neighbour, int number, DateTimeOffset now) => neighbour switch
    {
        "SHA-1 signed" => TestPki.Crl(_lab.IntermediateWithKey, number, now.AddMinutes(-1), now.AddDays(7), hash: HashAlgorithmName.SHA1),
        "MD5 signed" => TestPki.Crl(_lab.IntermediateWithKey, number, now.AddMinutes(-1), now.AddDays(7), hash: HashAlgorithmName.MD5),
        "delta CRL" => DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, number, 5, [], now.AddMinutes(-1), now.AddDays(7)),
        "other partition" => TestPki.Crl(
            _lab.IntermediateWithKey, number, now.AddMinutes(-1), now.AddDays(7),
            issuingDistributionPoint: idp => idp.WriteBitString([0x80], 7, new Asn1Tag(TagClass.ContextSpecific, 3))),
        "signed by another key" => TestConfigurations.ForgedIntermediateCrl(_lab),
        _ => throw new ArgumentOutOfRangeException(nameof(neighbour)),
    };

    private sealed class SwitchableSource : ICrlSource
    {
        public byte[]? Crl { get; set; }

        public byte[] Fetch(Uri location, TimeSpan timeout) => Crl ?? throw new HttpRequestException("connection refused (test)");
    }
}
