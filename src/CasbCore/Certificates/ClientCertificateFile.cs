using System.Security.Cryptography.X509Certificates;

namespace CasbCore.Certificates;

/// <summary>
/// Reads the client certificate in a file: PKCS#12 (.pfx/.p12, with a password), PEM or DER (.cer/.crt/.pem).
/// The same reader (<see cref="CertificateFile"/>) as the trusted-root and import cmdlets, so the same errors:
/// CertificateFileNotFound, CertificateUnreadable, PfxPasswordInvalid.
/// </summary>
public static class ClientCertificateFile
{
    public static X509Certificate2 Load(string path, string? password = null)
    {
        byte[] content = CertificateFile.ReadBytes(path);
        X509Certificate2Collection collection = CertificateFile.IsPkcs12(content)
            ? CertificateFile.ParsePkcs12(content, password, X509KeyStorageFlags.EphemeralKeySet, path)
            : CertificateFile.Parse(content, path);
        if (collection.Count == 0)
        {
            throw new CasbException(
                CertificateFile.UnreadableErrorId, CasbErrorKind.InvalidData,
                $"The certificate file '{path}' cannot be read: it contains no certificate.", path);
        }

        // The client certificate is the one with a key; without keys, the first end-entity certificate.
        X509Certificate2 chosen = collection.FirstOrDefault(c => c.HasPrivateKey)
            ?? collection.FirstOrDefault(c => !CertificateExtensions.IsCertificateAuthority(c))
            ?? collection[0];
        foreach (X509Certificate2 other in collection)
        {
            if (!ReferenceEquals(other, chosen))
            {
                other.Dispose();
            }
        }

        return chosen;
    }
}
