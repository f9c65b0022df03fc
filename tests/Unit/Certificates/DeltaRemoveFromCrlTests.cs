using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// What a delta CRL's removeFromCRL entry may undo (RFC 5280 5.3.1: it only ends a certificateHold, or drops an expired
/// certificate's entry): a hold in the complete CRL, and only when the delta can vouch (a current delta with an accepted
/// signature algorithm). A SHA-1 signed or stale delta with removeFromCRL once lifted any revocation of the complete CRL,
/// key compromise included, and the status became unknown: valid in Optional mode. A current one lifted a key compromise.
/// </summary>
public sealed class DeltaRemoveFromCrlTests : IClassFixture<LabPkiFixture>
{
    private const string DeltaUrl = "http://crl.contoso.test/issuing+.crl";

    private readonly LabPki _lab;

    public DeltaRemoveFromCrlTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    /// <summary>Every base reason against every delta neighbour, fetched and stored, in both revocation modes.</summary>
    public static TheoryData<X509RevocationReason?, string, bool, RevocationCheckMode> Neighbours()
    {
        var data = new TheoryData<X509RevocationReason?, string, bool, RevocationCheckMode>();
        foreach (X509RevocationReason? inBase in new X509RevocationReason?[] { null, X509RevocationReason.KeyCompromise, X509RevocationReason.CertificateHold, X509RevocationReason.Superseded })
        {
            foreach (string delta in new[] { "current", "SHA-1 signed", "past its nextUpdate" })
            {
                foreach (bool stored in new[] { true, false })
                {
                    foreach (RevocationCheckMode mode in new[] { RevocationCheckMode.Optional, RevocationCheckMode.Required })
                    {
                        data.Add(inBase, delta, stored, mode);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Neighbours))]
    public void A_removeFromCRL_in_the_delta_lifts_only_a_hold_and_only_from_a_delta_that_can_vouch(
        X509RevocationReason? inBase, string delta, bool stored, RevocationCheckMode mode)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 client = DeltaCrlBuilder.ClientWithFreshestCrl(_lab, null, null, "CN=Lifted device");
        CrlEntry[] removed = [CrlEntry.Of(client, X509RevocationReason.RemoveFromCrl)];
        byte[] deltaCrl = delta switch
        {
            "current" => DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, removed),
            "SHA-1 signed" => DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, removed, hash: HashAlgorithmName.SHA1),
            _ => DeltaCrlBuilder.Delta(_lab.IntermediateWithKey, 11, 10, removed, now.AddDays(-3), now.AddDays(-1)),
        };
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, mode).WithCrls(
            _lab.RootCrl, DeltaCrlBuilder.Base(_lab.IntermediateWithKey, 10, inBase is { } r ? [CrlEntry.Of(client, r)] : [], DeltaUrl));
        if (stored)
        {
            configuration.Settings.AllowWeakCertificateCryptography = true; // as a store may hold it, from when it allowed SHA-1
            configuration.WithCrls(deltaCrl);
            configuration.Settings.AllowWeakCertificateCryptography = false;
        }

        var source = new Published(stored ? null : deltaCrl);
        CertificateValidationResult result = new CertificateValidator(configuration, new CrlCache(source, runInBackground: work => work())).Validate(client, now);

        string unknown = mode == RevocationCheckMode.Required ? "RevocationUnknown" : "Valid";
        string expected = (inBase, delta) switch
        {
            (null, "current") or (X509RevocationReason.CertificateHold, "current") => "Valid",
            (null, _) => unknown,
            _ => "Revoked",
        };
        Assert.True(
            expected == result.Status,
            $"base {inBase?.ToString() ?? "silent"}, {(stored ? "stored" : "fetched")} {delta} delta with removeFromCRL, {mode}: expected {expected}, got {result.Status} ({string.Join("; ", result.Failures.Select(f => f.Message))})");
        if (expected == "Revoked")
        {
            Assert.Contains($"reason {inBase}", result.Failures[0].Message);
        }
    }

    private sealed class Published(byte[]? delta) : ICrlSource
    {
        public byte[] Fetch(Uri location, TimeSpan timeout) =>
            location.AbsoluteUri == DeltaUrl && delta is not null ? delta : throw new HttpRequestException("connection refused (test)");
    }
}
