using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

public sealed class CertificatePrincipalTests
{
    [Fact]
    public void The_UPN_SAN_wins_over_the_e_mail_SAN_and_the_CN()
    {
        using X509Certificate2 certificate = Create("CN=Device", upn: "alice@contoso.com", email: "alice.mail@contoso.com");

        Assert.Equal("alice@contoso.com", CertificateExtensions.GetPrincipal(certificate));
    }

    [Fact]
    public void Without_a_UPN_the_e_mail_SAN_is_the_principal()
    {
        using X509Certificate2 certificate = Create("CN=Device", upn: null, email: "bob@contoso.com");

        Assert.Equal("bob@contoso.com", CertificateExtensions.GetPrincipal(certificate));
    }

    [Fact]
    public void Without_a_SAN_the_subject_CN_is_the_principal()
    {
        using X509Certificate2 certificate = Create("CN=carol, O=Fabrikam", upn: null, email: null);

        Assert.Equal("carol", CertificateExtensions.GetPrincipal(certificate));
    }

    [Fact]
    public void A_SAN_with_only_a_DNS_name_falls_back_to_the_CN()
    {
        using X509Certificate2 certificate = Create("CN=dave", upn: null, email: null, dns: "dave-laptop.contoso.local");

        Assert.Equal("dave", CertificateExtensions.GetPrincipal(certificate));
    }

    [Fact]
    public void Distribution_points_list_only_http_URLs()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=cdp", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension(
            new[] { "ldap://dc.contoso.local/CN=crl", "http://pki.contoso.local/issuing.crl" }));
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));

        Assert.Equal(new[] { new Uri("http://pki.contoso.local/issuing.crl") }, CertificateExtensions.GetCrlDistributionPoints(certificate));
    }

    private static X509Certificate2 Create(string subject, string? upn, string? email, string? dns = null)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (upn is not null || email is not null || dns is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            if (dns is not null)
            {
                san.AddDnsName(dns);
            }

            if (email is not null)
            {
                san.AddEmailAddress(email);
            }

            if (upn is not null)
            {
                san.AddUserPrincipalName(upn);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }
}
