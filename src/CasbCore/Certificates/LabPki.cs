using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CasbCore.Certificates;

/// <summary>
/// A ready-made lab PKI: root CA, intermediate CA, a client certificate, a gateway server certificate and the
/// certificates negative tests need. Backs New-CasbSampleCertificate and every test that needs certificates.
/// </summary>
public sealed class LabPki : IDisposable
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    private LabPki()
    {
    }

    public required X509Certificate2 Root { get; init; }

    public required X509Certificate2 Intermediate { get; init; }

    /// <summary>Valid client certificate (UPN SAN) issued by <see cref="Intermediate"/>, with its private key.</summary>
    public required X509Certificate2 Client { get; init; }

    public required X509Certificate2 ExpiredClient { get; init; }

    /// <summary>Issued by <see cref="Intermediate"/> and listed in <see cref="IntermediateCrl"/>.</summary>
    public required X509Certificate2 RevokedClient { get; init; }

    /// <summary>Chains to <see cref="UntrustedRoot"/>, which is never added to the store.</summary>
    public required X509Certificate2 UntrustedClient { get; init; }

    public required X509Certificate2 UntrustedRoot { get; init; }

    /// <summary>An end-entity certificate with only the serverAuth EKU.</summary>
    public required X509Certificate2 ServerAuthOnlyClient { get; init; }

    /// <summary>The server certificate for the gateway: localhost, 127.0.0.1 and ::1, issued by <see cref="Root"/>.</summary>
    public required X509Certificate2 Gateway { get; init; }

    /// <summary>A DER CRL signed by <see cref="Intermediate"/> that revokes <see cref="RevokedClient"/>.</summary>
    public required byte[] IntermediateCrl { get; init; }

    public required string ClientPrincipal { get; init; }

    /// <summary>The intermediate's private key, kept in memory only (never written out) for tests that issue more certificates.</summary>
    public required X509Certificate2 IntermediateWithKey { get; init; }

    /// <summary>An empty DER CRL signed by <see cref="Root"/>: the intermediate is not revoked (Required revocation mode needs it).</summary>
    public byte[] RootCrl { get; init; } = Array.Empty<byte>();

    public static LabPki Create(string clientPrincipal = "vendor@contoso.com", DateTimeOffset? now = null)
    {
        DateTimeOffset t = now ?? DateTimeOffset.UtcNow;

        // The CAs start well before the expired client certificate: an issuer must cover its certificates' validity.
        using X509Certificate2 rootWithKey = CreateCa("CN=Casb Lab Root CA, O=Casb Lab", null, t.AddDays(-90), t.AddYears(10), pathLength: 1);
        X509Certificate2 intermediateWithKey = CreateCa("CN=Casb Lab Issuing CA, O=Casb Lab", rootWithKey, t.AddDays(-90), t.AddYears(5), pathLength: 0);
        using X509Certificate2 untrustedRootWithKey = CreateCa("CN=Casb Untrusted Root CA, O=Elsewhere", null, t.AddDays(-1), t.AddYears(10), pathLength: 0);

        X509Certificate2 client = CreateLeaf(intermediateWithKey, "CN=Vendor Device, O=Fabrikam", clientPrincipal, t.AddDays(-1), t.AddYears(1), ClientAuthOid);
        X509Certificate2 expired = CreateLeaf(intermediateWithKey, "CN=Expired Device, O=Fabrikam", "expired@contoso.com", t.AddDays(-60), t.AddDays(-30), ClientAuthOid);
        X509Certificate2 revoked = CreateLeaf(intermediateWithKey, "CN=Revoked Device, O=Fabrikam", "revoked@contoso.com", t.AddDays(-1), t.AddYears(1), ClientAuthOid);
        X509Certificate2 untrusted = CreateLeaf(untrustedRootWithKey, "CN=Untrusted Device, O=Elsewhere", "stranger@elsewhere.example", t.AddDays(-1), t.AddYears(1), ClientAuthOid);
        X509Certificate2 serverOnly = CreateLeaf(intermediateWithKey, "CN=Server Only, O=Fabrikam", "server-only@contoso.com", t.AddDays(-1), t.AddYears(1), ServerAuthOid);
        X509Certificate2 gateway = CreateServer(rootWithKey, t.AddDays(-1), t.AddYears(2));

        var crl = new CertificateRevocationListBuilder();
        crl.AddEntry(revoked, t.AddMinutes(-5), X509RevocationReason.KeyCompromise);
        byte[] crlBytes = crl.Build(intermediateWithKey, BigInteger(1), t.AddDays(7), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, t.AddMinutes(-1));
        byte[] rootCrlBytes = new CertificateRevocationListBuilder().Build(
            rootWithKey, BigInteger(1), t.AddDays(30), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, t.AddMinutes(-1));

        return new LabPki
        {
            Root = X509CertificateLoader.LoadCertificate(rootWithKey.RawData),
            Intermediate = X509CertificateLoader.LoadCertificate(intermediateWithKey.RawData),
            IntermediateWithKey = intermediateWithKey,
            UntrustedRoot = X509CertificateLoader.LoadCertificate(untrustedRootWithKey.RawData),
            Client = client,
            ExpiredClient = expired,
            RevokedClient = revoked,
            UntrustedClient = untrusted,
            ServerAuthOnlyClient = serverOnly,
            Gateway = gateway,
            IntermediateCrl = crlBytes,
            ClientPrincipal = clientPrincipal,
            RootCrl = rootCrlBytes,
        };
    }

    /// <summary>Issues another client certificate from the lab intermediate (tests use it for CRL distribution points).</summary>
    public X509Certificate2 IssueClient(
        string subject,
        string? userPrincipalName,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        string? crlDistributionPoint = null,
        string eku = ClientAuthOid,
        bool isCertificateAuthority = false) =>
        CreateLeaf(IntermediateWithKey, subject, userPrincipalName, notBefore, notAfter, eku, crlDistributionPoint, isCertificateAuthority);

    /// <summary>
    /// Writes the lab as files: PEM for public certificates and the CRL, password-protected PFX for keys
    /// (client PFX files carry their chain but never a CA key). Returns the paths written.
    /// </summary>
    public IReadOnlyList<string> WriteTo(string directory, string password)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();

        void Write(string name, byte[] content)
        {
            string path = Path.Combine(directory, name);
            if (OperatingSystem.IsWindows() || !name.EndsWith(".pfx", StringComparison.Ordinal))
            {
                File.WriteAllBytes(path, content);
            }
            else
            {
                // A key under the published lab password is a device certificate for whoever can read it: the owner's
                // only (mode 600), also when -Force writes over an older, readable file, before any byte of the new key.
                using var stream = new FileStream(path, OwnerOnly.FileOptions(FileMode.Create, FileAccess.Write));
                OwnerOnly.Tighten(stream);
                stream.Write(content);
            }

            written.Add(path);
        }

        Write("root-ca.pem", Encoding.ASCII.GetBytes(Root.ExportCertificatePem() + "\n"));
        Write("intermediate-ca.pem", Encoding.ASCII.GetBytes(Intermediate.ExportCertificatePem() + "\n"));
        Write("ca-chain.pem", Encoding.ASCII.GetBytes(Intermediate.ExportCertificatePem() + "\n" + Root.ExportCertificatePem() + "\n"));
        Write("untrusted-root-ca.pem", Encoding.ASCII.GetBytes(UntrustedRoot.ExportCertificatePem() + "\n"));
        Write("client.pfx", ExportWithChain(Client, password, Intermediate, Root));
        Write("client.pem", Encoding.ASCII.GetBytes(Client.ExportCertificatePem() + "\n"));
        Write("client-legacy-3des.pfx", Client.ExportPkcs12(Pkcs12ExportPbeParameters.Pkcs12TripleDesSha1, password));
        Write("expired-client.pfx", ExportWithChain(ExpiredClient, password, Intermediate, Root));
        Write("revoked-client.pfx", ExportWithChain(RevokedClient, password, Intermediate, Root));
        Write("untrusted-client.pfx", ExportWithChain(UntrustedClient, password, UntrustedRoot));
        Write("server-auth-only.pfx", ExportWithChain(ServerAuthOnlyClient, password, Intermediate, Root));
        Write("gateway.pfx", ExportWithChain(Gateway, password, Root));
        Write("intermediate-ca.crl", Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", IntermediateCrl) + "\n"));
        if (RootCrl.Length > 0)
        {
            Write("root-ca.crl", Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", RootCrl) + "\n"));
        }
        return written;
    }

    public void Dispose()
    {
        foreach (X509Certificate2 certificate in new[]
                 {
                     Root, Intermediate, IntermediateWithKey, Client, ExpiredClient, RevokedClient, UntrustedClient,
                     UntrustedRoot, ServerAuthOnlyClient, Gateway,
                 })
        {
            certificate.Dispose();
        }
    }

    private static byte[] ExportWithChain(X509Certificate2 leaf, string password, params X509Certificate2[] chain)
    {
        var collection = new X509Certificate2Collection { leaf };
        foreach (X509Certificate2 ca in chain)
        {
            collection.Add(X509CertificateLoader.LoadCertificate(ca.RawData));
        }

        return collection.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password)
            ?? throw new CryptographicException("PKCS#12 export produced nothing.");
    }

    private static System.Numerics.BigInteger BigInteger(int value) => new(value);

    private static X509Certificate2 CreateCa(string subject, X509Certificate2? issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, int pathLength)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, pathLength, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        if (issuer is null)
        {
            return request.CreateSelfSigned(notBefore, notAfter);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using X509Certificate2 issued = request.Create(issuer, notBefore, notAfter, NewSerial());
        return issued.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 CreateLeaf(
        X509Certificate2 issuer,
        string subject,
        string? userPrincipalName,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        string eku,
        string? crlDistributionPoint = null,
        bool isCertificateAuthority = false)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCertificateAuthority, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            isCertificateAuthority
                ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature
                : X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment,
            true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(eku) }, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        if (userPrincipalName is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddUserPrincipalName(userPrincipalName);
            san.AddEmailAddress(userPrincipalName);
            request.CertificateExtensions.Add(san.Build());
        }

        if (crlDistributionPoint is not null)
        {
            request.CertificateExtensions.Add(
                CertificateRevocationListBuilder.BuildCrlDistributionPointExtension(new[] { crlDistributionPoint }));
        }

        using X509Certificate2 issued = request.Create(issuer, notBefore, notAfter, NewSerial());
        return issued.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 CreateServer(X509Certificate2 issuer, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost, O=Casb Lab", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(ServerAuthOid) }, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using X509Certificate2 issued = request.Create(issuer, notBefore, notAfter, NewSerial());
        return issued.CopyWithPrivateKey(key);
    }

    private static byte[] NewSerial()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        return serial;
    }
}
