using System.Security.Cryptography;
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

        // The client certificate is the one with a key; without keys, the end-entity certificate.
        X509Certificate2 chosen = Select(collection, path, keyedOnly: false) ?? collection[0];
        foreach (X509Certificate2 other in collection)
        {
            if (!ReferenceEquals(other, chosen))
            {
                other.Dispose();
            }
        }

        return chosen;
    }

    public const string SeveralClientCertificatesErrorId = "PfxHasSeveralClientCertificates";

    /// <summary>
    /// The client certificate among a file's certificates: the one with a private key (any, with <paramref name="keyedOnly"/>
    /// false, when none has one), preferring an end-entity certificate to a CA and, among several, the one that allows
    /// client authentication. Null when there is no candidate; a CA only when every candidate is one. Several equally good
    /// candidates are PfxHasSeveralClientCertificates: which device the file identifies is the admin's choice, never the
    /// file's order.
    /// </summary>
    public static X509Certificate2? Select(X509Certificate2Collection collection, string path, bool keyedOnly)
    {
        ArgumentNullException.ThrowIfNull(collection);
        List<X509Certificate2> candidates = collection.Where(c => c.HasPrivateKey).ToList();
        if (candidates.Count == 0 && !keyedOnly)
        {
            candidates = collection.ToList();
        }

        List<X509Certificate2> endEntities = candidates.Where(c => !CertificateExtensions.IsCertificateAuthority(c)).ToList();
        if (endEntities.Count == 0)
        {
            // Only CAs (a chain exported without its leaf): the one lowest in the chain, the issuer of no other candidate,
            // else the first by thumbprint, so the file names the same certificate in any order (the caller refuses a CA).
            List<X509Certificate2> lowest = candidates
                .Where(c => !candidates.Any(other => other.Thumbprint != c.Thumbprint && other.IssuerName.RawData.AsSpan().SequenceEqual(c.SubjectName.RawData)))
                .ToList();
            return lowest.Count == 1 ? lowest[0] : candidates.OrderBy(c => c.Thumbprint, StringComparer.Ordinal).FirstOrDefault();
        }

        List<X509Certificate2> forClients = endEntities
            .Where(c => CertificateExtensions.GetExtendedKeyUsages(c)?.Contains(CertificateExtensions.ClientAuthenticationOid) == true)
            .ToList();
        List<X509Certificate2> best = forClients.Count > 0 ? forClients : endEntities;
        if (best.Count > 1)
        {
            throw new CasbException(
                SeveralClientCertificatesErrorId, CasbErrorKind.InvalidData,
                $"'{path}' holds {best.Count} client certificates{(candidates.Any(c => c.HasPrivateKey) ? " with private keys" : "")}: "
                + string.Join("; ", best.Select(c => $"'{c.Subject}' ({c.Thumbprint})"))
                + ". Export the one this device should present into a file of its own.",
                path);
        }

        return WithOwnKey(best[0], path);
    }

    public const string PrivateKeyMismatchErrorId = "PfxPrivateKeyMismatch";

    // The PKCS#12 loader pairs a key with a certificate by local key id alone: a key of another pair loads as "the" key,
    // and a browser presenting it fails every handshake. Its public half must be the certificate's public key.
    private static X509Certificate2 WithOwnKey(X509Certificate2 certificate, string path)
    {
        if (!certificate.HasPrivateKey)
        {
            return certificate;
        }

        bool own;
        byte[] challenge = RandomNumberGenerator.GetBytes(32);
        try
        {
            own = certificate.GetRSAPrivateKey() is { } rsa
                ? Verifies(rsa, certificate.GetRSAPublicKey(), (k, d) => ((RSA)k).SignData(d, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                    (k, d, sig) => ((RSA)k).VerifyData(d, sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), challenge)
                : certificate.GetECDsaPrivateKey() is { } ecdsa
                    ? Verifies(ecdsa, certificate.GetECDsaPublicKey(), (k, d) => ((ECDsa)k).SignData(d, HashAlgorithmName.SHA256),
                        (k, d, sig) => ((ECDsa)k).VerifyData(d, sig, HashAlgorithmName.SHA256), challenge)
                    : true; // another algorithm: left to the handshake
        }
        catch (CryptographicException)
        {
            own = true; // a key that cannot sign here (a hardware key): left to the handshake
        }

        if (!own)
        {
            throw new CasbException(
                PrivateKeyMismatchErrorId, CasbErrorKind.InvalidData,
                $"The private key in '{path}' does not belong to '{certificate.Subject}' ({certificate.Thumbprint}): a browser presenting this certificate would fail every handshake. Export the certificate again together with its own key.",
                path);
        }

        return certificate;
    }

    private static bool Verifies(
        AsymmetricAlgorithm privateKey, AsymmetricAlgorithm? publicKey, Func<AsymmetricAlgorithm, byte[], byte[]> sign,
        Func<AsymmetricAlgorithm, byte[], byte[], bool> verify, byte[] challenge)
    {
        using (privateKey)
        using (publicKey)
        {
            return publicKey is not null && verify(publicKey, challenge, sign(privateKey, challenge));
        }
    }
}
