using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CasbCore.Certificates;

/// <summary>
/// Reads the client certificate in a file: PKCS#12 (.pfx/.p12, with a password), PEM or DER (.cer/.crt/.pem).
/// Throws <see cref="CasbException"/>: CertificateFileNotFound, CertificateUnreadable, CertificatePasswordInvalid.
/// </summary>
public static class ClientCertificateFile
{
    private const int ErrorInvalidPassword = unchecked((int)0x80070056);

    public static X509Certificate2 Load(string path, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CasbException("CertificateFileNotFound", CasbErrorKind.ObjectNotFound, $"The certificate file '{path}' does not exist.", path, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, $"it cannot be read: {ex.Message}", ex);
        }

        if (bytes.Length == 0)
        {
            throw Unreadable(path, "the file is empty");
        }

        if (LooksLikePem(bytes, out string? text))
        {
            return FromPem(path, text);
        }

        X509ContentType type;
        try
        {
            type = X509Certificate2.GetCertContentType(bytes);
        }
        catch (CryptographicException)
        {
            type = X509ContentType.Unknown;
        }

        if (type == X509ContentType.Pfx)
        {
            return FromPkcs12(path, bytes, password);
        }

        try
        {
            return X509CertificateLoader.LoadCertificate(bytes);
        }
        catch (CryptographicException ex)
        {
            throw Unreadable(path, $"it is not a DER or PEM certificate or a PKCS#12 (.pfx) file ({ex.Message.TrimEnd('.')})", ex);
        }
    }

    private static X509Certificate2 FromPkcs12(string path, byte[] bytes, string? password)
    {
        X509Certificate2Collection collection;
        try
        {
            collection = X509CertificateLoader.LoadPkcs12Collection(bytes, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException ex) when (ex.HResult == ErrorInvalidPassword || password is null)
        {
            throw new CasbException(
                "CertificatePasswordInvalid", CasbErrorKind.AuthenticationError,
                password is null
                    ? $"The PKCS#12 file '{path}' is password-protected: give its password with -Password."
                    : $"The password for the PKCS#12 file '{path}' is wrong.",
                path, ex);
        }
        catch (CryptographicException ex)
        {
            throw Unreadable(path, $"it looks like a PKCS#12 (.pfx) file but cannot be read ({ex.Message.TrimEnd('.')})", ex);
        }

        if (collection.Count == 0)
        {
            throw Unreadable(path, "the PKCS#12 file contains no certificate");
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

    private static X509Certificate2 FromPem(string path, string text)
    {
        ReadOnlySpan<char> remaining = text;
        while (PemEncoding.TryFind(remaining, out PemFields fields))
        {
            if (remaining[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                byte[] der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(remaining[fields.Base64Data], der, out int written))
                {
                    throw Unreadable(path, "its CERTIFICATE PEM block is not valid base64");
                }

                try
                {
                    return X509CertificateLoader.LoadCertificate(der.AsSpan(0, written));
                }
                catch (CryptographicException ex)
                {
                    throw Unreadable(path, $"its CERTIFICATE PEM block is not a valid certificate ({ex.Message.TrimEnd('.')})", ex);
                }
            }

            remaining = remaining[fields.Location.End..];
        }

        throw Unreadable(path, text.Contains("-----BEGIN", StringComparison.Ordinal)
            ? "it is PEM but has no CERTIFICATE block"
            : "it is text, not a certificate (expected PEM with a CERTIFICATE block, DER or PKCS#12)");
    }

    private static bool LooksLikePem(byte[] bytes, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? text)
    {
        text = null;
        if (bytes[0] == 0x30)
        {
            return false; // DER (certificate or PKCS#12) starts with a SEQUENCE
        }

        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static CasbException Unreadable(string path, string why, Exception? inner = null) =>
        new("CertificateUnreadable", CasbErrorKind.InvalidData, $"The certificate file '{path}' cannot be read: {why}.", path, inner);
}
