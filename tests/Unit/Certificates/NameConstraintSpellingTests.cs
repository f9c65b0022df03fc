using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.SignIn;
using CsCheck;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// A CA's user-name constraints hold for the user the gateway makes of the principal (<see cref="UserNames.Canonical"/>:
/// width-mapped, NFC, case ignored), not for one spelling of it: a CA that must not issue "admin@fabrikam.com" must not
/// issue "ａdmin@fabrikam.com" (fullwidth a) either, which the gateway and Test-CasbAccess take for admin@fabrikam.com.
/// </summary>
public sealed class NameConstraintSpellingTests : IClassFixture<CorpusPki>
{
    private readonly CorpusPki _pki;

    public NameConstraintSpellingTests(CorpusPki pki) => _pki = pki;

    [Theory]
    [InlineData("ａdmin@fabrikam.com", 0)] // fullwidth a, as a UPN
    [InlineData("ＡＤＭＩＮ@fabrikam.com", 0)]
    [InlineData("ａdmin@fabrikam.com", 2)] // in the subject CN
    [InlineData("admin@ｆabrikam.com", 2)] // a fullwidth domain only a CN can carry
    [InlineData(" ａdmin@fabrikam.com ", 2)]
    public void A_CA_that_must_not_issue_a_user_does_not_issue_another_spelling_of_that_user(string name, int form)
    {
        using X509Certificate2 ca = TestPki.Issue(
            CertificateSpec.Ca("CN=Not-Admin CA") with
            {
                NameConstraints = TestPki.NameConstraints(excludedEmail: new[] { "admin@fabrikam.com" }, excludedUpn: new[] { "admin@fabrikam.com" }),
            },
            _pki.Root);
        var validator = new CertificateValidator(_pki.Trusting(RevocationCheckMode.None, false, X509CertificateLoader.LoadCertificate(ca.RawData)));
        using X509Certificate2 leaf = TestPki.Issue(form == 0 ? new CertificateSpec { Upn = name } : new CertificateSpec { Subject = $"CN={name}" }, ca);

        CertificateValidationResult result = validator.Validate(leaf, DateTimeOffset.UtcNow);

        Assert.Equal("admin@fabrikam.com", UserNames.Canonical(result.Principal!), UserNames.Comparer);
        Assert.False(result.IsValid, "the CA may not issue admin@fabrikam.com, yet the certificate is valid for it");
        Assert.Contains(result.Failures, f => f.Reason == CertificateFailureReason.NameConstraintViolation);
        Assert.DoesNotContain(DeviceTags.ValidClientCertificate, result.DeviceTags);
    }

    [Fact]
    public void A_CA_limited_to_one_user_issues_every_spelling_of_that_user()
    {
        using X509Certificate2 ca = TestPki.Issue(
            CertificateSpec.Ca("CN=Jose-Only CA") with { NameConstraints = TestPki.NameConstraints(permittedUpn: new[] { "jos\u00e9@fabrikam.com" }) },
            _pki.Root);
        var validator = new CertificateValidator(_pki.Trusting(RevocationCheckMode.None, false, X509CertificateLoader.LoadCertificate(ca.RawData)));
        using X509Certificate2 leaf = TestPki.Issue(new CertificateSpec { Upn = "jose\u0301@fabrikam.com" }, ca); // decomposed

        CertificateValidationResult result = validator.Validate(leaf, DateTimeOffset.UtcNow);

        Assert.True(result.IsValid, string.Join(" | ", result.Failures.Select(f => f.Message)));
    }

    /// <summary>
    /// Generated neighbours: a name and a constraint drawn from letters with fullwidth, upper-case and decomposed spellings;
    /// the verdict under an exact-address constraint, permitted or excluded, is exactly whether they are one user.
    /// </summary>
    [Fact]
    public void Whether_a_name_is_within_an_exact_address_constraint_is_whether_they_are_one_user()
    {
        using ECDsa leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        TestKey key = TestKey.Reused(leafKey);
        Gen<string> local = Gen.Char["ae\u00e9k"].Array[1, 3].Select(a => new string(a));
        Gen<string> spelling = local.SelectMany(l => Gen.Int[0, 3].Array[l.Length].Select(ways => Spell(l, ways)));

        Gen.Select(local, spelling, Gen.Bool, Gen.Int[0, 2]).Sample((constraintLocal, nameLocal, excluding, form) =>
        {
            string constraint = constraintLocal + "@fabrikam.com";
            string name = nameLocal + "@fabrikam.com";
            X509Extension constraints = excluding
                ? TestPki.NameConstraints(excludedUpn: new[] { constraint })
                : TestPki.NameConstraints(permittedUpn: new[] { constraint });
            using X509Certificate2 ca = TestPki.Issue(CertificateSpec.Ca("CN=One-User CA") with { Key = key, NameConstraints = constraints }, _pki.Root);
            var validator = new CertificateValidator(_pki.Trusting(RevocationCheckMode.None, false, X509CertificateLoader.LoadCertificate(ca.RawData)));
            using X509Certificate2 leaf = TestPki.Issue(
                form == 0 ? new CertificateSpec { Key = key, Upn = name } : new CertificateSpec { Key = key, Subject = $"CN={name}" }, ca);

            CertificateValidationResult result = validator.Validate(leaf, DateTimeOffset.UtcNow);

            bool sameUser = UserNames.Comparer.Equals(name, constraint);
            Assert.True(result.IsValid == (excluding ? !sameUser : sameUser),
                $"'{name}' (form {form}) {(excluding ? "excluded" : "permitted")} '{constraint}': {string.Join(" | ", result.Failures.Select(f => f.Message))}");
        }, iter: 80);
    }

    /// <summary>Each character spelled one of four ways: as it is, upper case, fullwidth (ASCII letters) or decomposed (é).</summary>
    private static string Spell(string local, int[] ways)
    {
        var spelled = new System.Text.StringBuilder();
        for (int i = 0; i < local.Length; i++)
        {
            char c = local[i];
            spelled.Append(ways[i] switch
            {
                1 => char.ToUpperInvariant(c).ToString(),
                2 when char.IsAscii(c) => ((char)(c + 0xFEE0)).ToString(),
                3 when c == '\u00e9' => "e\u0301",
                _ => c.ToString(),
            });
        }

        return spelled.ToString();
    }
}
