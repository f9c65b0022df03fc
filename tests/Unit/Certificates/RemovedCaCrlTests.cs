using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// Removing a trusted CA removes the CRLs that nothing in the store can verify any more, and only those: a CA renewed
/// with the same key, or cross-signed (one subject, one key, two certificates), still verifies the CRL its other
/// certificate was stored under, and the certificates that CRL revokes must stay revoked.
/// </summary>
public sealed class RemovedCaCrlTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    /// <summary>Every way to trust one CA key through two certificates, and which of them is removed.</summary>
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string shape in new[] { "renewed root", "cross-signed intermediate" })
        {
            foreach (int removed in new[] { 0, 1 })
            {
                data.Add(shape, removed);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_CRL_another_trusted_certificate_of_the_same_CA_verifies_survives_the_removal(string shape, int removed)
    {
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 otherRoot = TestPki.Issue(CertificateSpec.Ca("CN=Other Root"), null);
        CertificateSpec caSpec = CertificateSpec.Ca("CN=Fabrikam Issuing CA") with { Key = TestKey.Reused(caKey) };
        using X509Certificate2 first = TestPki.Issue(caSpec, null);
        using X509Certificate2 second = shape == "renewed root"
            ? TestPki.Issue(caSpec with { NotBefore = Now.AddDays(-1), NotAfter = Now.AddYears(10) }, null)
            : TestPki.Issue(caSpec, otherRoot);
        using X509Certificate2 device = TestPki.Issue(new CertificateSpec { Key = TestKey.P256 }, first);

        var configuration = new CasbConfiguration();
        configuration.Settings.RevocationMode = RevocationCheckMode.Optional;
        X509Certificate2[] cas = shape == "renewed root" ? new[] { first, second } : new[] { first, second, otherRoot };
        TrustedRootCatalog.Add(configuration, cas, Now, false);
        RevocationLists.Add(configuration, CertificateRevocationList.Parse(TestPki.Crl(first, 1, Now.AddHours(-1), Now.AddDays(7), new[] { device })), false, Now);
        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(configuration, device));

        X509Certificate2 gone = removed == 0 ? first : second;
        X509Certificate2 kept = removed == 0 ? second : first;
        TrustedRootCatalog.Remove(configuration, gone.Thumbprint);

        RevocationListEntry crl = Assert.Single(configuration.RevocationLists);
        Assert.Equal(kept.Thumbprint, crl.IssuerThumbprint, ignoreCase: true);
        if (shape == "renewed root" || removed == 1)
        {
            // The device still chains to a trusted root: it must still be revoked.
            Assert.Contains(CertificateFailureReason.Revoked, Reasons(configuration, device));
        }

        // Removing the last certificate of that CA takes the CRL with it, as before.
        TrustedRootCatalog.Remove(configuration, kept.Thumbprint);
        Assert.Empty(configuration.RevocationLists);
    }

    private static CertificateFailureReason[] Reasons(CasbConfiguration configuration, X509Certificate2 certificate) =>
        new CertificateValidator(configuration, new CrlCache(new NoNetworkCrlSource(), TimeProvider.System))
            .Validate(certificate, Now).Failures.Select(f => f.Reason).ToArray();
}
