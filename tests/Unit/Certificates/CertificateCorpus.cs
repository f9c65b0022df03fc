using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// The CAs the corpus issues from, made once per test class: a root and an issuing CA (RSA-2048, SHA-256) with
/// their private keys, and one leaf key reused by the corpus cases (key generation is the slow part).
/// </summary>
public sealed class CorpusPki : IDisposable
{
    public CorpusPki()
    {
        Root = TestPki.Issue(CertificateSpec.Ca("CN=Corpus Root CA, O=Casb Tests"), null);
        Issuing = TestPki.Issue(CertificateSpec.Ca("CN=Corpus Issuing CA, O=Casb Tests"), Root);
    }

    internal X509Certificate2 Root { get; }

    internal X509Certificate2 Issuing { get; }

    /// <summary>A current, empty CRL of the root: the issuing CA is not revoked (Required mode needs it).</summary>
    internal byte[] RootCrl(DateTimeOffset now) => TestPki.Crl(Root, 1, now.AddMinutes(-5), now.AddDays(30));

    internal CasbConfiguration Trusting(RevocationCheckMode mode = RevocationCheckMode.Optional, bool allowWeak = false, params X509Certificate2[] more) =>
        TestPki.Trusting(mode, allowWeak, new[] { Root, Issuing }.Concat(more).ToArray());

    public void Dispose()
    {
        Root.Dispose();
        Issuing.Dispose();
    }
}

/// <summary>One certificate of the corpus, ready to validate.</summary>
internal sealed record CorpusSetup(X509Certificate2 Leaf, CasbConfiguration Configuration, DateTimeOffset At, ICrlSource? CrlSource = null);

/// <summary>
/// A corpus entry: what it is, the failure reason it must produce first (null: it must be valid), the reasons the
/// platform may add besides (normally none), and how to make it.
/// </summary>
internal sealed record CorpusCase(string Name, CertificateFailureReason? Expected, Func<CorpusPki, CorpusSetup> Build, params CertificateFailureReason[] AlsoAllowed)
{
    public override string ToString() => Name;
}

/// <summary>
/// Client certificates that must fail, each with its reason, and the good ones that must still pass: one per rule the
/// validator enforces and per bug found. Every certificate is generated at test time (CertificateRequest).
/// </summary>
internal static class CertificateCorpus
{
    private const string ClientAuth = CertificateExtensions.ClientAuthenticationOid;
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string AnyEku = CertificateExtensions.AnyExtendedKeyUsageOid;
    private const string P224 = "1.3.132.0.33";
    private const string P384 = "1.3.132.0.34";

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    public static IReadOnlyList<CorpusCase> Cases { get; } = new CorpusCase[]
    {
        // Good certificates.
        Good("RSA-2048 leaf", p => Leaf(p, new CertificateSpec { Upn = "alice@contoso.com" })),
        Good("RSA-3072 leaf", p => Leaf(p, new CertificateSpec { Key = TestKey.Rsa(3072), Upn = "alice@contoso.com" })),
        Good("P-256 leaf", p => Leaf(p, new CertificateSpec { Key = TestKey.P256, Upn = "alice@contoso.com" })),
        Good("P-384 leaf", p => Leaf(p, new CertificateSpec { Key = TestKey.Ec(P384), Email = "alice@contoso.com" })),
        Good("SHA-384 signed leaf", p => Leaf(p, new CertificateSpec { SignatureHash = HashAlgorithmName.SHA384 })),
        Good("leaf named by its CN only", p => Leaf(p, new CertificateSpec { Subject = "CN=carol" })),
        Good("intermediate with a clientAuth EKU", p => ViaIntermediate(p, CertificateSpec.Ca("CN=EKU ClientAuth CA") with { Ekus = new[] { ServerAuth, ClientAuth } }, new CertificateSpec())),
        Good("intermediate with anyExtendedKeyUsage", p => ViaIntermediate(p, CertificateSpec.Ca("CN=EKU Any CA") with { Ekus = new[] { AnyEku } }, new CertificateSpec())),
        Good("P-384 intermediate", p => ViaIntermediate(p, CertificateSpec.Ca("CN=P-384 CA") with { Key = TestKey.Ec(P384) }, new CertificateSpec { Key = TestKey.P256 })),
        Good("root self-signed with SHA-1 (a trust anchor's own signature does not matter)", p =>
        {
            using X509Certificate2 root = TestPki.Issue(CertificateSpec.Ca("CN=SHA-1 Root") with { SignatureHash = HashAlgorithmName.SHA1 }, null);
            X509Certificate2 leaf = TestPki.Issue(new CertificateSpec(), root);
            return new CorpusSetup(leaf, TestPki.Trusting(RevocationCheckMode.Optional, false, root), Now);
        }),
        Good("name-constrained CA (rfc822 contoso.com) issuing a permitted UPN", p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(permittedEmail: new[] { "contoso.com" })), new CertificateSpec { Upn = "alice@contoso.com" })),
        Good("name-constrained CA (UPN @contoso.com) issuing a permitted UPN and e-mail", p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(permittedUpn: new[] { "@contoso.com" }, permittedEmail: new[] { "contoso.com" })), new CertificateSpec { Upn = "alice@contoso.com", Email = "alice@contoso.com" })),
        Good("name-constrained CA (.contoso.com) issuing a UPN in a subdomain", p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(permittedUpn: new[] { ".contoso.com" })), new CertificateSpec { Upn = "alice@eu.contoso.com" })),
        Good("name-constrained CA excluding fabrikam.com issuing a contoso.com UPN", p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(excludedEmail: new[] { "fabrikam.com" }, excludedUpn: new[] { "fabrikam.com" })), new CertificateSpec { Upn = "alice@contoso.com" })),
        Good("SHA-1 leaf with AllowWeakCertificateCryptography", p => Leaf(p, new CertificateSpec { SignatureHash = HashAlgorithmName.SHA1 }, allowWeak: true)),
        Good("RSA-1024 leaf with AllowWeakCertificateCryptography", p => Leaf(p, new CertificateSpec { Key = TestKey.Rsa(1024) }, allowWeak: true)),
        Good("DSA-1024 leaf with AllowWeakCertificateCryptography", p => Leaf(p, new CertificateSpec { Key = TestKey.Dsa(1024) }, allowWeak: true)),
        Good("RSA-1024 intermediate with AllowWeakCertificateCryptography", p =>
            ViaIntermediate(p, CertificateSpec.Ca("CN=RSA-1024 CA") with { Key = TestKey.Rsa(1024) }, new CertificateSpec(), allowWeak: true)),
        Good("stale stored CRL that does not list the leaf, Optional mode", p =>
        {
            X509Certificate2 leaf = TestPki.Issue(new CertificateSpec(), p.Issuing);
            byte[] stale = TestPki.Crl(p.Issuing, 2, Now.AddDays(-8), Now.AddDays(-1));
            return new CorpusSetup(leaf, p.Trusting().WithRawCrl(stale, p.Issuing), Now);
        }),

        // Weak keys and signatures.
        Bad("RSA-1024 leaf", CertificateFailureReason.WeakKey, p => Leaf(p, new CertificateSpec { Key = TestKey.Rsa(1024) })),
        Bad("RSA-512 leaf even with AllowWeakCertificateCryptography", CertificateFailureReason.WeakKey, p => Leaf(p, new CertificateSpec { Key = TestKey.Rsa(512) }, allowWeak: true)),
        Bad("P-224 leaf", CertificateFailureReason.WeakKey, p => Leaf(p, new CertificateSpec { Key = TestKey.Ec(P224) })),
        Bad("DSA-1024 leaf", CertificateFailureReason.WeakKey, p => Leaf(p, new CertificateSpec { Key = TestKey.Dsa(1024) })),
        Bad("RSA-1024 intermediate", CertificateFailureReason.WeakKey, p => ViaIntermediate(p, CertificateSpec.Ca("CN=RSA-1024 CA") with { Key = TestKey.Rsa(1024) }, new CertificateSpec())),
        Bad("RSA-1024 root", CertificateFailureReason.WeakKey, p =>
        {
            using X509Certificate2 root = TestPki.Issue(CertificateSpec.Ca("CN=RSA-1024 Root") with { Key = TestKey.Rsa(1024) }, null);
            X509Certificate2 leaf = TestPki.Issue(new CertificateSpec(), root);
            return new CorpusSetup(leaf, TestPki.Trusting(RevocationCheckMode.Optional, false, root), Now);
        }),
        Bad("SHA-1 signed leaf", CertificateFailureReason.WeakSignature, p => Leaf(p, new CertificateSpec { SignatureHash = HashAlgorithmName.SHA1 })),
        Bad("MD5 signed leaf even with AllowWeakCertificateCryptography", CertificateFailureReason.WeakSignature, p => Leaf(p, new CertificateSpec { SignatureHash = HashAlgorithmName.MD5 }, allowWeak: true)),
        Bad("SHA-1 signed intermediate", CertificateFailureReason.WeakSignature, p =>
            ViaIntermediate(p, CertificateSpec.Ca("CN=SHA-1 CA") with { SignatureHash = HashAlgorithmName.SHA1 }, new CertificateSpec())),

        // EKU chaining.
        Bad("intermediate whose EKU is serverAuth only", CertificateFailureReason.CaNotForClientAuthentication, p =>
            ViaIntermediate(p, CertificateSpec.Ca("CN=Server Only CA") with { Ekus = new[] { ServerAuth } }, new CertificateSpec())),
        Bad("root whose EKU is serverAuth only", CertificateFailureReason.CaNotForClientAuthentication, p =>
        {
            using X509Certificate2 root = TestPki.Issue(CertificateSpec.Ca("CN=Server Only Root") with { Ekus = new[] { ServerAuth } }, null);
            X509Certificate2 leaf = TestPki.Issue(new CertificateSpec(), root);
            return new CorpusSetup(leaf, TestPki.Trusting(RevocationCheckMode.Optional, false, root), Now);
        }),

        // End entity.
        Bad("leaf with basic constraints CA=true", CertificateFailureReason.NotEndEntity, p => Leaf(p, new CertificateSpec { IsCertificateAuthority = true, KeyUsage = X509KeyUsageFlags.DigitalSignature })),
        Bad("leaf with key usage keyCertSign", CertificateFailureReason.NotEndEntity, p => Leaf(p, new CertificateSpec { KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign })),

        // Name constraints on the principal.
        Bad("CA limited to fabrikam.com (rfc822) issuing UPN admin@contoso.com", CertificateFailureReason.NameConstraintViolation, p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(permittedEmail: new[] { "fabrikam.com" })), new CertificateSpec { Upn = "admin@contoso.com" })),
        Bad("CA limited to fabrikam.com (UPN) issuing UPN admin@contoso.com", CertificateFailureReason.NameConstraintViolation, p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(permittedUpn: new[] { "fabrikam.com" })), new CertificateSpec { Upn = "admin@contoso.com" })),
        Bad("CA limited to fabrikam.com (UPN) issuing e-mail admin@contoso.com", CertificateFailureReason.NameConstraintViolation, p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(permittedUpn: new[] { "fabrikam.com" })), new CertificateSpec { Email = "admin@contoso.com" })),
        Bad("CA limited to fabrikam.com issuing a CN-only principal", CertificateFailureReason.NameConstraintViolation, p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(permittedUpn: new[] { "fabrikam.com" })), new CertificateSpec { Subject = "CN=admin@contoso.com" })),
        Bad("CA limited to .fabrikam.com issuing fabrikam.com itself", CertificateFailureReason.NameConstraintViolation, p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(permittedUpn: new[] { ".fabrikam.com" })), new CertificateSpec { Upn = "admin@fabrikam.com" })),
        Bad("CA limited to fabrikam.com issuing evilfabrikam.com", CertificateFailureReason.NameConstraintViolation, p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(permittedUpn: new[] { "fabrikam.com" })), new CertificateSpec { Upn = "admin@evilfabrikam.com" })),
        Bad("CA excluding contoso.com (UPN) issuing ADMIN@Contoso.COM", CertificateFailureReason.NameConstraintViolation, p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(excludedUpn: new[] { "contoso.com" })), new CertificateSpec { Upn = "ADMIN@Contoso.COM" })),
        Bad("root limited to fabrikam.com, principal from a lower CA", CertificateFailureReason.NameConstraintViolation, p =>
        {
            using X509Certificate2 root = TestPki.Issue(Constrained(TestPki.NameConstraints(permittedUpn: new[] { "fabrikam.com" })) with { Subject = "CN=Constrained Root" }, null);
            using X509Certificate2 issuing = TestPki.Issue(CertificateSpec.Ca("CN=Unconstrained Issuing CA"), root);
            X509Certificate2 leaf = TestPki.Issue(new CertificateSpec { Upn = "admin@contoso.com" }, issuing);
            return new CorpusSetup(leaf, TestPki.Trusting(RevocationCheckMode.Optional, false, root, issuing), Now);
        }),

        // A constraint that is no user name, host or .domain cannot be honoured: the CA fails closed (the platform adds its own finding).
        Bad("CA whose UPN name constraint is not a domain", CertificateFailureReason.InvalidCertificate, p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(excludedUpn: new[] { "contoso .com" })), new CertificateSpec { Upn = "alice@fabrikam.com" }),
            CertificateFailureReason.NameConstraintViolation),

        // Malformed subject alternative names.
        Bad("UPN without a domain", CertificateFailureReason.MalformedSubjectAlternativeName, p => Leaf(p, new CertificateSpec { RawSubjectAlternativeName = TestPki.UpnSan("admin") })),
        Bad("UPN with two '@'", CertificateFailureReason.MalformedSubjectAlternativeName, p => Leaf(p, new CertificateSpec { RawSubjectAlternativeName = TestPki.UpnSan("admin@contoso.com@fabrikam.com") })),
        Bad("UPN as a BMPString", CertificateFailureReason.MalformedSubjectAlternativeName, p => Leaf(p, new CertificateSpec { RawSubjectAlternativeName = TestPki.UpnSan("admin@contoso.com", UniversalTagNumber.BMPString) })),
        Bad("UPN with a right-to-left override", CertificateFailureReason.MalformedSubjectAlternativeName, p => Leaf(p, new CertificateSpec { RawSubjectAlternativeName = TestPki.UpnSan("moc.tfosorcim\u202E@contoso.com") })),
        Bad("e-mail with a space", CertificateFailureReason.MalformedSubjectAlternativeName, p => Leaf(p, new CertificateSpec { RawSubjectAlternativeName = TestPki.EmailSan("admin @contoso.com") })),
        Bad("e-mail with a NUL", CertificateFailureReason.MalformedSubjectAlternativeName, p => Leaf(p, new CertificateSpec { RawSubjectAlternativeName = TestPki.EmailSan("admin@contoso.com\0.fabrikam.com") })),
        Bad("e-mail that is not IA5", CertificateFailureReason.MalformedSubjectAlternativeName, p => Leaf(p, new CertificateSpec { RawSubjectAlternativeName = TestPki.EmailSan("adm\u00efn@contoso.com") })),
        Bad("e-mail with a character above U+00FF", CertificateFailureReason.MalformedSubjectAlternativeName, p => Leaf(p, new CertificateSpec { RawSubjectAlternativeName = TestPki.EmailSan("\u200badmin@contoso.com") })),
        Bad("e-mail under a name-constrained CA, malformed to dodge it", CertificateFailureReason.MalformedSubjectAlternativeName, p =>
            ViaIntermediate(p, Constrained(TestPki.NameConstraints(permittedEmail: new[] { "fabrikam.com" })), new CertificateSpec { RawSubjectAlternativeName = TestPki.EmailSan("admin@contoso.com@fabrikam.com") })),
        // OpenSSL cannot link a certificate whose extensions it cannot decode to its issuer, hence UntrustedRoot as well.
        Bad("SAN that is not DER", CertificateFailureReason.MalformedSubjectAlternativeName, p => Leaf(p, new CertificateSpec { RawSubjectAlternativeName = new byte[] { 0x30, 0x05, 0xA0, 0xFF, 0x01 } }), CertificateFailureReason.UntrustedRoot),
        Bad("SAN with no names", CertificateFailureReason.MalformedSubjectAlternativeName, p => Leaf(p, new CertificateSpec { RawSubjectAlternativeName = new byte[] { 0x30, 0x00 } })),

        // Revocation: a revoked certificate stays revoked.
        Bad("leaf listed in a stale stored CRL, Optional mode", CertificateFailureReason.Revoked, p => StaleStoredCrl(p, RevocationCheckMode.Optional, listed: true)),
        Bad("leaf listed in a stale stored CRL, Required mode", CertificateFailureReason.Revoked, p => StaleStoredCrl(p, RevocationCheckMode.Required, listed: true)),
        Bad("leaf not listed in a stale stored CRL, Required mode", CertificateFailureReason.RevocationUnknown, p => StaleStoredCrl(p, RevocationCheckMode.Required, listed: false)),
        Bad("leaf listed in a stale CRL from its distribution point, Optional mode", CertificateFailureReason.Revoked, p => StaleDistributionPointCrl(p, RevocationCheckMode.Optional)),
        Bad("leaf listed in a stale CRL from its distribution point, Required mode", CertificateFailureReason.Revoked, p => StaleDistributionPointCrl(p, RevocationCheckMode.Required)),
        Bad("leaf listed in a current SHA-1 signed stored CRL", CertificateFailureReason.Revoked, p =>
        {
            X509Certificate2 leaf = TestPki.Issue(new CertificateSpec(), p.Issuing);
            byte[] crl = TestPki.Crl(p.Issuing, 1, Now.AddMinutes(-5), Now.AddDays(7), new[] { leaf }, hash: HashAlgorithmName.SHA1);
            return new CorpusSetup(leaf, p.Trusting().WithRawCrl(crl, p.Issuing), Now);
        }),

        // CRLs that must never vouch for a certificate.
        Bad("stored CRL with a critical CRL number, Required mode", CertificateFailureReason.RevocationUnknown, p => MalformedStoredCrl(p, criticalCrlNumber: true)),
        Bad("stored CRL with an unknown critical extension, Required mode", CertificateFailureReason.RevocationUnknown, p => MalformedStoredCrl(p, criticalExtension: "1.3.6.1.4.1.99999.1")),
        Bad("stored CRL with an unknown critical entry extension, Required mode", CertificateFailureReason.RevocationUnknown, p => MalformedStoredCrl(p, criticalEntryExtension: "2.5.29.29")),
        Bad("current SHA-1 signed stored CRL that does not list the leaf, Required mode", CertificateFailureReason.RevocationUnknown, p =>
        {
            X509Certificate2 leaf = TestPki.Issue(new CertificateSpec(), p.Issuing);
            byte[] crl = TestPki.Crl(p.Issuing, 1, Now.AddMinutes(-5), Now.AddDays(7), hash: HashAlgorithmName.SHA1);
            return new CorpusSetup(leaf, p.Trusting(RevocationCheckMode.Required).WithRawCrl(crl, p.Issuing).WithRawCrl(p.RootCrl(Now), p.Root), Now);
        }),
        Bad("distribution point serving a CRL with a critical CRL number, Required mode", CertificateFailureReason.RevocationUnknown, p =>
        {
            X509Certificate2 leaf = TestPki.Issue(new CertificateSpec { CrlDistributionPoint = "http://127.0.0.1:9/malformed.crl" }, p.Issuing);
            byte[] crl = TestPki.Crl(p.Issuing, 1, Now.AddMinutes(-5), Now.AddDays(7), criticalCrlNumber: true);
            return new CorpusSetup(leaf, p.Trusting(RevocationCheckMode.Required).WithRawCrl(p.RootCrl(Now), p.Root), Now, new FixedSource(crl));
        }),

        // A self-issued certificate that is not self-signed is no root.
        Bad("trusted 'root' whose subject equals its issuer but is signed by another key", CertificateFailureReason.UntrustedRoot, p =>
        {
            using X509Certificate2 other = TestPki.Issue(CertificateSpec.Ca("CN=Look-alike Root"), null);
            using X509Certificate2 lookAlike = TestPki.Issue(CertificateSpec.Ca("CN=Look-alike Root"), other);
            X509Certificate2 leaf = TestPki.Issue(new CertificateSpec(), lookAlike);
            var configuration = new CasbConfiguration();
            configuration.TrustedRoots.Add(TestConfigurations.Entry(lookAlike, TrustedRootKind.Root)); // as an older version classified it
            return new CorpusSetup(leaf, configuration, Now);
        }),
    };

    private static CorpusCase Good(string name, Func<CorpusPki, CorpusSetup> build) => new(name, null, build);

    private static CorpusCase Bad(string name, CertificateFailureReason reason, Func<CorpusPki, CorpusSetup> build, params CertificateFailureReason[] alsoAllowed) =>
        new(name, reason, build, alsoAllowed);

    private static CertificateSpec Constrained(X509Extension constraints) =>
        CertificateSpec.Ca("CN=Name-Constrained CA") with { NameConstraints = constraints };

    private static CorpusSetup Leaf(CorpusPki pki, CertificateSpec spec, bool allowWeak = false) =>
        new(TestPki.Issue(spec, pki.Issuing), pki.Trusting(allowWeak: allowWeak), Now);

    private static CorpusSetup ViaIntermediate(CorpusPki pki, CertificateSpec intermediate, CertificateSpec leaf, bool allowWeak = false)
    {
        using X509Certificate2 ca = TestPki.Issue(intermediate, pki.Root);
        return new CorpusSetup(TestPki.Issue(leaf, ca), pki.Trusting(RevocationCheckMode.Optional, allowWeak, X509CertificateLoader.LoadCertificate(ca.RawData)), Now);
    }

    /// <summary>A stored CRL whose nextUpdate (7 days, as the lab's) has passed by the time of the check.</summary>
    private static CorpusSetup StaleStoredCrl(CorpusPki pki, RevocationCheckMode mode, bool listed)
    {
        X509Certificate2 leaf = TestPki.Issue(new CertificateSpec(), pki.Issuing);
        byte[] crl = TestPki.Crl(pki.Issuing, 1, Now.AddMinutes(-5), Now.AddDays(7), listed ? new[] { leaf } : null);
        DateTimeOffset later = Now.AddDays(8);
        CasbConfiguration configuration = pki.Trusting(mode).WithCrls(crl).WithRawCrl(pki.RootCrl(later), pki.Root);
        return new CorpusSetup(leaf, configuration, later);
    }

    private static CorpusSetup StaleDistributionPointCrl(CorpusPki pki, RevocationCheckMode mode)
    {
        X509Certificate2 leaf = TestPki.Issue(new CertificateSpec { CrlDistributionPoint = "http://127.0.0.1:9/stale.crl" }, pki.Issuing);
        byte[] crl = TestPki.Crl(pki.Issuing, 1, Now.AddDays(-8), Now.AddDays(-1), new[] { leaf });
        return new CorpusSetup(leaf, pki.Trusting(mode).WithRawCrl(pki.RootCrl(Now), pki.Root), Now, new FixedSource(crl));
    }

    private static CorpusSetup MalformedStoredCrl(CorpusPki pki, bool criticalCrlNumber = false, string? criticalExtension = null, string? criticalEntryExtension = null)
    {
        X509Certificate2 leaf = TestPki.Issue(new CertificateSpec(), pki.Issuing);
        using X509Certificate2 other = TestPki.Issue(new CertificateSpec(), pki.Issuing);
        byte[] crl = TestPki.Crl(pki.Issuing, 1, Now.AddMinutes(-5), Now.AddDays(7), new[] { other }, criticalCrlNumber, criticalExtension, criticalEntryExtension);
        return new CorpusSetup(leaf, pki.Trusting(RevocationCheckMode.Required).WithRawCrl(crl, pki.Issuing).WithRawCrl(pki.RootCrl(Now), pki.Root), Now);
    }

    /// <summary>Serves one CRL for every distribution point (no network).</summary>
    internal sealed class FixedSource(byte[] crl) : ICrlSource
    {
        public byte[] Fetch(Uri location, TimeSpan timeout) => crl;
    }
}
