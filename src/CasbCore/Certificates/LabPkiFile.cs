namespace CasbCore.Certificates;

public enum LabPkiFileKind
{
    RootCertificateAuthority,
    IntermediateCertificateAuthority,
    CertificateChain,
    ClientCertificate,
    ServerCertificate,
    NegativeTest,
    RevocationList,
}

/// <summary>One file <see cref="LabPki.WriteTo"/> writes, with what it is for.</summary>
public sealed record LabPkiFile(string Name, LabPkiFileKind Kind, string Description)
{
    /// <summary>The password of the lab's PFX files when the admin gives none. Lab use only; documented in the help.</summary>
    public const string DefaultPassword = "CasbLab!2026";

    /// <summary>Every file of the lab, in the order <see cref="LabPki.WriteTo"/> writes them.</summary>
    public static IReadOnlyList<LabPkiFile> All { get; } = new LabPkiFile[]
    {
        new("root-ca.pem", LabPkiFileKind.RootCertificateAuthority, "Lab root CA; add it with Add-CasbTrustedRoot and import it into Cert:\\CurrentUser\\Root on test devices."),
        new("intermediate-ca.pem", LabPkiFileKind.IntermediateCertificateAuthority, "Lab issuing CA that signs the client certificates."),
        new("ca-chain.pem", LabPkiFileKind.CertificateChain, "Issuing CA and root CA in one PEM file."),
        new("untrusted-root-ca.pem", LabPkiFileKind.NegativeTest, "A root CA that is never trusted; issues untrusted-client.pfx."),
        new("client.pfx", LabPkiFileKind.ClientCertificate, "Valid client certificate with key and chain (no CA keys); import it with Import-CasbClientCertificate."),
        new("client.pem", LabPkiFileKind.ClientCertificate, "Public part of the client certificate."),
        new("client-legacy-3des.pfx", LabPkiFileKind.ClientCertificate, "The client certificate as a legacy 3DES/SHA-1 PFX, for older clients."),
        new("expired-client.pfx", LabPkiFileKind.NegativeTest, "A client certificate that expired 30 days ago."),
        new("revoked-client.pfx", LabPkiFileKind.NegativeTest, "A client certificate revoked in intermediate-ca.crl."),
        new("untrusted-client.pfx", LabPkiFileKind.NegativeTest, "A client certificate from the untrusted root CA."),
        new("server-auth-only.pfx", LabPkiFileKind.NegativeTest, "An end-entity certificate without the clientAuth usage."),
        new("gateway.pfx", LabPkiFileKind.ServerCertificate, "Gateway TLS certificate for localhost, 127.0.0.1 and ::1, issued by the lab root CA."),
        new("intermediate-ca.crl", LabPkiFileKind.RevocationList, "CRL of the issuing CA revoking revoked-client.pfx; add it with Add-CasbCertificateRevocationList."),
        new("root-ca.crl", LabPkiFileKind.RevocationList, "Empty CRL of the root CA (the issuing CA is not revoked), needed when the revocation mode is Required."),
    };

    public static LabPkiFile? Find(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
}
