using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// Two trusted CAs with one subject name and different keys (a re-keyed CA, or two CAs that happen to share a DN)
/// whose certificates name one CRL distribution point: the CRL there verifies under one key only. Looking it up for
/// the other CA must not cost the first its CRL, or that CA's revoked devices pass (revocation mode Optional) or fail
/// as unknown (Required) until the next fetch.
/// </summary>
public sealed class SharedDistributionPointTests
{
    private const string Location = "http://crl.test/shared.crl";

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    public static TheoryData<RevocationCheckMode, bool> Cases() => new()
    {
        { RevocationCheckMode.Optional, false },
        { RevocationCheckMode.Optional, true },
        { RevocationCheckMode.Required, false },
        { RevocationCheckMode.Required, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_lookup_for_one_CA_never_drops_the_CRL_of_another_CA_with_the_same_name(RevocationCheckMode mode, bool publisherFirst)
    {
        using X509Certificate2 other = TestPki.Issue(CertificateSpec.Ca("CN=Shared Name CA, O=Fabrikam"), null);
        using X509Certificate2 publisher = TestPki.Issue(CertificateSpec.Ca("CN=Shared Name CA, O=Fabrikam"), null);
        using X509Certificate2 otherDevice = TestPki.Issue(new CertificateSpec { Subject = "CN=Other Device", CrlDistributionPoint = Location }, other);
        using X509Certificate2 revoked = TestPki.Issue(new CertificateSpec { Subject = "CN=Revoked Device", CrlDistributionPoint = Location }, publisher);
        using X509Certificate2 good = TestPki.Issue(new CertificateSpec { Subject = "CN=Good Device", CrlDistributionPoint = Location }, publisher);
        byte[] crl = TestPki.Crl(publisher, 1, Now.AddHours(-1), Now.AddDays(7), new[] { revoked });
        CasbConfiguration configuration = TestPki.Trusting(mode, false, other, publisher);
        var cache = new CrlCache(new OneCrlSource(crl), new ManualTimeProvider(Now), work => work());

        if (publisherFirst)
        {
            Assert.Equal("Revoked", new CertificateValidator(configuration, cache).Validate(revoked, Now).Status);
        }

        // The other CA's device: the CRL at its distribution point is not its CA's, so its status is unknown.
        CertificateValidationResult otherResult = new CertificateValidator(configuration, cache).Validate(otherDevice, Now);
        Assert.Equal(mode == RevocationCheckMode.Optional, otherResult.IsValid);

        // A new revision's validator (no cached result): the publisher's devices are still decided on its CRL.
        var validator = new CertificateValidator(configuration, cache);
        Assert.Equal("Revoked", validator.Validate(revoked, Now).Status);
        Assert.True(validator.Validate(good, Now).IsValid);
    }

    private sealed class OneCrlSource(byte[] crl) : ICrlSource
    {
        public byte[] Fetch(Uri location, TimeSpan timeout) => crl;
    }
}
