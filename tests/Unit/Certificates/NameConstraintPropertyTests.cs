using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using CasbCore.Certificates;
using CasbCore.Model;
using CsCheck;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// Generated neighbours of the name bugs: user names against name constraints, and malformed names in the SAN,
/// checked through the validator with real certificates (one reused EC key, so that issuing is cheap).
/// </summary>
public sealed class NameConstraintPropertyTests : IClassFixture<CorpusPki>
{
    private static readonly Gen<string> Label = Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-"].Array[1, 8]
        .Select(a => new string(a)).Where(l => l[0] != '-' && l[^1] != '-');

    private static readonly Gen<string> Domain = Label.Array[1, 3].Select(labels => string.Join('.', labels));

    private static readonly Gen<string> Local = Gen.Char["abcxyzABC019._+-"].Array[1, 10].Select(a => new string(a));

    /// <summary>An independent statement of a well-formed user name, for the differential test.</summary>
    private static readonly Regex WellFormed = new(
        @"^[^@\s""\\<>,;:()\[\]\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Z}]+@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$");

    private readonly CorpusPki _pki;

    public NameConstraintPropertyTests(CorpusPki pki) => _pki = pki;

    [Fact]
    public void A_host_constraint_covers_exactly_that_host_and_a_dot_constraint_exactly_its_subdomains()
    {
        Gen.Select(Local, Domain, Label).Sample((local, domain, sub) =>
        {
            string name = $"{local}@{domain}";
            Assert.True(NameConstraints.Matches(name, domain, excluding: false));
            Assert.True(NameConstraints.Matches(name.ToUpperInvariant(), domain, excluding: false));
            Assert.True(NameConstraints.Matches(name, "@" + domain, excluding: false));
            Assert.True(NameConstraints.Matches(name, name.ToUpperInvariant(), excluding: true));
            Assert.False(NameConstraints.Matches(name, "." + domain, excluding: false));
            Assert.True(NameConstraints.Matches($"{local}@{sub}.{domain}", "." + domain, excluding: false));
            Assert.False(NameConstraints.Matches($"{local}@{sub}.{domain}", domain, excluding: false));
            Assert.False(NameConstraints.Matches($"{local}@{sub}{domain}", domain, excluding: false));
            Assert.False(NameConstraints.Matches($"{local}@{sub}{domain}", "." + domain, excluding: false));
            Assert.False(NameConstraints.Matches($"{local}@{domain}.{sub}", domain, excluding: false));
            Assert.False(NameConstraints.Matches($"{local}{domain}", domain, excluding: true)); // no '@': in no domain
        });
    }

    [Fact]
    public void A_CA_limited_to_fabrikam_com_issues_a_valid_certificate_exactly_for_names_at_fabrikam_com_whatever_carries_them()
    {
        using ECDsa leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        TestKey key = TestKey.Reused(leafKey);
        using X509Certificate2 ca = TestPki.Issue(
            CertificateSpec.Ca("CN=Fabrikam-Only CA") with
            {
                NameConstraints = TestPki.NameConstraints(permittedEmail: new[] { "fabrikam.com" }, permittedUpn: new[] { "fabrikam.com" }),
            },
            _pki.Root);
        var validator = new CertificateValidator(_pki.Trusting(RevocationCheckMode.None, false, X509CertificateLoader.LoadCertificate(ca.RawData)));
        string[] nearMisses = { "fabrikam.com", "FABRIKAM.Com", "eu.fabrikam.com", "evilfabrikam.com", "fabrikam.com.evil.example", "contoso.com" };
        Gen<string> domains = Gen.Select(Gen.Int[0, nearMisses.Length], Domain, (i, random) => i < nearMisses.Length ? nearMisses[i] : random);

        Gen.Select(Local, domains, Gen.Int[0, 2]).Sample((local, domain, form) =>
        {
            string name = $"{local}@{domain}";
            CertificateSpec spec = form switch
            {
                0 => new CertificateSpec { Key = key, Upn = name },
                1 => new CertificateSpec { Key = key, Email = name },
                _ => new CertificateSpec { Key = key, Subject = $"CN={name}" },
            };
            using X509Certificate2 leaf = TestPki.Issue(spec, ca);

            CertificateValidationResult result = validator.Validate(leaf, DateTimeOffset.UtcNow);

            bool permitted = string.Equals(domain, "fabrikam.com", StringComparison.OrdinalIgnoreCase);
            Assert.True(permitted == result.IsValid, $"{name} (form {form}): {string.Join(" | ", result.Failures.Select(f => f.Message))}");
            Assert.All(result.Failures, f => Assert.Equal(CertificateFailureReason.NameConstraintViolation, f.Reason));
            Assert.Equal(name, result.Principal);
        }, iter: 60);
    }

    [Fact]
    public void A_user_name_validates_only_when_it_is_well_formed_and_then_it_is_the_principal_unchanged()
    {
        using ECDsa leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        TestKey key = TestKey.Reused(leafKey);
        var validator = new CertificateValidator(_pki.Trusting(RevocationCheckMode.None));
        Gen<string> names = Gen.Char["ab.-@ \0\u202e\u00e9\"<>,;:()[]\\xZ9\u200b"].Array[0, 12].Select(a => new string(a));

        Gen.Select(names, Gen.Bool).Sample((name, asEmail) =>
        {
            CertificateSpec spec = new() { Key = key, RawSubjectAlternativeName = asEmail ? TestPki.EmailSan(name) : TestPki.UpnSan(name) };
            using X509Certificate2 leaf = TestPki.Issue(spec, _pki.Issuing);

            CertificateValidationResult result = validator.Validate(leaf, DateTimeOffset.UtcNow);

            bool wellFormed = WellFormed.IsMatch(name) && (!asEmail || name.All(char.IsAscii));
            Assert.True(wellFormed == result.IsValid, $"'{name}' ({(asEmail ? "e-mail" : "UPN")}): {string.Join(" | ", result.Failures.Select(f => f.Message))}");
            if (wellFormed)
            {
                Assert.Equal(name, result.Principal);
            }
            else
            {
                Assert.Null(result.Principal);
                Assert.Equal(CertificateFailureReason.MalformedSubjectAlternativeName, result.Failures[0].Reason);
            }
        }, iter: 150);
    }
}
