using System.Formats.Asn1;
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

    /// <summary>Every subject attribute but the CN that a subject may carry (the platform's "simple name" falls back to some).</summary>
    public static TheoryData<string> OtherAttributes() => new()
    {
        "2.5.4.7", // locality
        "2.5.4.8", // state
        "2.5.4.5", // serial number
        "2.5.4.10", // organization
        "2.5.4.11", // organizational unit
        "2.5.4.12", // title
        "2.5.4.4", // surname
        "2.5.4.42", // given name
        "2.5.4.9", // street
        "2.5.4.46", // dnQualifier
        "0.9.2342.19200300.100.1.25", // domain component
        "0.9.2342.19200300.100.1.1", // user id
        "1.2.840.113549.1.9.1", // e-mail address
    };

    [Theory]
    [MemberData(nameof(OtherAttributes))]
    public void Without_a_SAN_or_a_CN_no_other_subject_attribute_names_the_user(string attribute)
    {
        using X509Certificate2 ca = TestPki.Issue(CertificateSpec.Ca("CN=Principal Test CA"), null);
        foreach (bool withOrganization in new[] { false, true })
        {
            var subject = new X500DistinguishedNameBuilder();
            if (withOrganization && attribute != "2.5.4.10")
            {
                subject.AddOrganizationName("Fabrikam");
            }

            // PrintableString attributes (serial number, dnQualifier) cannot hold an '@'.
            subject.Add(attribute, attribute is "2.5.4.5" or "2.5.4.46" ? "A1234" : "admin@contoso.com",
                attribute is "1.2.840.113549.1.9.1" or "0.9.2342.19200300.100.1.25" ? UniversalTagNumber.IA5String : null);
            using X509Certificate2 device = TestPki.Issue(new CertificateSpec { Subject = subject.Build().Name }, ca);
            CertificateValidationResult result = new CertificateValidator(TestPki.Trusting(CasbCore.Model.RevocationCheckMode.None, false, ca)).Validate(device, DateTimeOffset.UtcNow);

            Assert.Equal(new CertificateIdentity(null, PrincipalSource.None, null), CertificateExtensions.ReadIdentity(device));
            Assert.True(result.IsValid, string.Join("; ", result.Failures.Select(f => f.Message)));
            Assert.Null(result.Principal);

            // A CN beside it still names the user, whichever side it is on.
            subject.AddCommonName("carol@contoso.com");
            using X509Certificate2 named = TestPki.Issue(new CertificateSpec { Subject = subject.Build().Name }, ca);
            Assert.Equal(new CertificateIdentity("carol@contoso.com", PrincipalSource.CommonName, null), CertificateExtensions.ReadIdentity(named));
        }
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
