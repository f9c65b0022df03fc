using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CasbCore.Certificates;

/// <summary>
/// Reads public certificates from the files admins upload: PEM with one or many certificates, DER (.cer/.crt),
/// and PKCS#7 (.p7b, DER or PEM). A file is read whole or not at all: one bad block fails the file.
/// </summary>
public static class CertificateFile
{
    public const string NotFoundErrorId = "CertificateFileNotFound";
    public const string UnreadableErrorId = "CertificateUnreadable";

    private const string SignedDataOid = "1.2.840.113549.1.7.2";
    private const string DataOid = "1.2.840.113549.1.7.1";

    /// <summary>Reads every certificate in <paramref name="path"/>; throws CertificateFileNotFound or CertificateUnreadable.</summary>
    public static X509Certificate2Collection Read(string path) => Parse(ReadBytes(path), path);

    /// <summary>The bytes of a certificate file; throws CertificateFileNotFound or CertificateUnreadable.</summary>
    public static byte[] ReadBytes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CasbException(
                NotFoundErrorId, CasbErrorKind.ObjectNotFound, $"The certificate file '{path}' does not exist.", path, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CasbException(
                UnreadableErrorId, CasbErrorKind.ReadError, $"Cannot read the certificate file '{path}': {ex.Message}", path, ex);
        }
    }

    /// <summary>Parses certificate file content; <paramref name="sourceName"/> names it in error messages.</summary>
    public static X509Certificate2Collection Parse(ReadOnlySpan<byte> content, string sourceName)
    {
        if (content.IsEmpty || content.Trim(" \t\r\n\0"u8).IsEmpty)
        {
            throw Unreadable(sourceName, "the file is empty.");
        }

        X509Certificate2Collection certificates = TryDecodeText(content, out string? text)
            ? ParsePem(text, sourceName)
            : ParseDer(content, sourceName);

        if (certificates.Count == 0)
        {
            throw Unreadable(sourceName, "it contains no certificates.");
        }

        return certificates;
    }

    /// <summary>True when the content is a PKCS#12 (PFX) structure: SEQUENCE { version INTEGER, ... }.</summary>
    public static bool IsPkcs12(ReadOnlySpan<byte> content)
    {
        if (content.IsEmpty || content[0] != 0x30)
        {
            return false;
        }

        try
        {
            AsnDecoder.ReadEncodedValue(content, AsnEncodingRules.BER, out int contentOffset, out int contentLength, out _);
            return Asn1Tag.Decode(content.Slice(contentOffset, contentLength), out _).HasSameClassAndValue(Asn1Tag.Integer);
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Loads every certificate of a PFX, modern (PBES2/AES) or legacy (RC2-40, 3DES, SHA-1 MAC). Throws
    /// CertificateFileNotFound, CertificateUnreadable (not a PFX, damaged) or PfxPasswordInvalid.
    /// </summary>
    public static X509Certificate2Collection ReadPkcs12(string path, string? password, X509KeyStorageFlags flags) =>
        ParsePkcs12(ReadBytes(path), password, flags, path);

    public static X509Certificate2Collection ParsePkcs12(byte[] content, string? password, X509KeyStorageFlags flags, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!IsPkcs12(content))
        {
            throw Unreadable(sourceName, content.Length == 0 ? "the file is empty." : "it is not a PKCS#12 (PFX) file, or it is truncated.");
        }

        try
        {
            return X509CertificateLoader.LoadPkcs12Collection(content, password, flags, Pkcs12LoaderLimits.Defaults);
        }
        catch (Pkcs12LoadLimitExceededException ex)
        {
            throw Unreadable(sourceName, $"the PFX exceeds the loader's safety limits ({ex.Message}).", ex);
        }
        catch (CryptographicException ex) when (ex.HResult == InvalidPasswordHResult)
        {
            throw new CasbException(
                "PfxPasswordInvalid", CasbErrorKind.SecurityError,
                $"The password for '{sourceName}' is not correct{(string.IsNullOrEmpty(password) ? " (no password was given; use -Password)" : "")}.",
                sourceName, ex);
        }
        catch (CryptographicException ex)
        {
            throw Unreadable(sourceName, $"the PFX cannot be read ({ex.Message}).", ex);
        }
    }

    // ERROR_INVALID_PASSWORD as an HRESULT: what the PKCS#12 loader reports for a MAC that does not verify.
    private const int InvalidPasswordHResult = unchecked((int)0x80070056);

    /// <summary>PEM text: ASCII/UTF-8 (with or without a byte-order mark), or UTF-16 with one (what Windows PowerShell 5.1's Out-File writes).</summary>
    private static bool TryDecodeText(ReadOnlySpan<byte> content, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? text)
    {
        text = null;
        if (content.StartsWith(new byte[] { 0xFF, 0xFE }))
        {
            text = Encoding.Unicode.GetString(content[2..]);
        }
        else if (content.StartsWith(new byte[] { 0xFE, 0xFF }))
        {
            text = Encoding.BigEndianUnicode.GetString(content[2..]);
        }
        else if (content.IndexOf("-----BEGIN "u8) >= 0)
        {
            text = Encoding.UTF8.GetString(content.StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }) ? content[3..] : content);
        }

        return text is not null;
    }

    private static X509Certificate2Collection ParsePem(string text, string sourceName)
    {
        var certificates = new X509Certificate2Collection();
        ReadOnlySpan<char> remaining = text;
        int blocks = 0;
        while (PemEncoding.TryFind(remaining, out PemFields fields))
        {
            blocks++;
            string label = remaining[fields.Label].ToString();
            byte[] der = Convert.FromBase64String(remaining[fields.Base64Data].ToString());
            switch (label)
            {
                case "CERTIFICATE":
                case "X509 CERTIFICATE":
                    certificates.Add(LoadCertificate(der, sourceName, $"PEM block {blocks}"));
                    break;
                case "PKCS7":
                case "CMS":
                    certificates.AddRange(ParsePkcs7(der, sourceName));
                    break;
                case "TRUSTED CERTIFICATE":
                    throw Unreadable(sourceName, $"PEM block {blocks} is an OpenSSL 'TRUSTED CERTIFICATE'; export it as a plain CERTIFICATE (openssl x509 -in file -out file.pem).");
                default:
                    throw Unreadable(sourceName, $"PEM block {blocks} is a '{label}', not a certificate.");
            }

            remaining = remaining[fields.Location.End..];
        }

        if (blocks == 0)
        {
            throw Unreadable(sourceName, "it looks like PEM text but has no complete, correctly base64-encoded '-----BEGIN CERTIFICATE-----' block (truncated or damaged?).");
        }

        return certificates;
    }

    private static X509Certificate2Collection ParseDer(ReadOnlySpan<byte> content, string sourceName)
    {
        if (content[0] != 0x30)
        {
            throw Unreadable(sourceName, "it is neither PEM text nor DER-encoded ASN.1 (not a certificate file).");
        }

        Asn1Tag firstInner;
        try
        {
            // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, ... }; ContentInfo ::= SEQUENCE { contentType OID, ... };
            // PFX ::= SEQUENCE { version INTEGER, ... }. The first inner tag tells them apart.
            AsnDecoder.ReadEncodedValue(content, AsnEncodingRules.BER, out int contentOffset, out int contentLength, out int consumed);
            if (consumed != content.Length && !content[consumed..].Trim("\r\n\0 "u8).IsEmpty)
            {
                throw Unreadable(sourceName, $"{content.Length - consumed} unexpected byte(s) follow the DER structure.");
            }

            firstInner = Asn1Tag.Decode(content.Slice(contentOffset, contentLength), out _);
        }
        catch (AsnContentException ex)
        {
            throw Unreadable(sourceName, $"the DER data is truncated or malformed ({ex.Message}).", ex);
        }

        if (firstInner.HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
        {
            return ParsePkcs7(content.ToArray(), sourceName);
        }

        if (firstInner.HasSameClassAndValue(Asn1Tag.Integer))
        {
            throw Unreadable(sourceName, "it is a PKCS#12 (PFX) file with keys, not a certificate file; export the public certificate (.cer or .pem).");
        }

        return new X509Certificate2Collection(LoadCertificate(content.ToArray(), sourceName, "the DER data"));
    }

    private static X509Certificate2Collection ParsePkcs7(byte[] der, string sourceName)
    {
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.BER);
            AsnReader contentInfo = reader.ReadSequence();
            string contentType = contentInfo.ReadObjectIdentifier();
            if (contentType != SignedDataOid && contentType != DataOid)
            {
                throw Unreadable(sourceName, $"it is a PKCS#7/CMS message of type {contentType}, not a certificate bundle (signedData).");
            }
        }
        catch (AsnContentException ex)
        {
            throw Unreadable(sourceName, $"the PKCS#7 data is truncated or malformed ({ex.Message}).", ex);
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            // The BCL's only PKCS#7 certificate-bundle reader without System.Security.Cryptography.Pkcs is the
            // collection import, obsolete only because it also guesses PFX content; here the content type is checked above.
#pragma warning disable SYSLIB0057
            certificates.Import(der);
#pragma warning restore SYSLIB0057
        }
        catch (CryptographicException ex)
        {
            throw Unreadable(sourceName, $"the PKCS#7 bundle cannot be read ({ex.Message}).", ex);
        }

        return certificates;
    }

    private static X509Certificate2 LoadCertificate(byte[] der, string sourceName, string what)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException ex)
        {
            throw Unreadable(sourceName, $"{what} is not an X.509 certificate ({ex.Message}).", ex);
        }
    }

    private static CasbException Unreadable(string sourceName, string why, Exception? inner = null) =>
        new(UnreadableErrorId, CasbErrorKind.InvalidData, $"Cannot read the certificate file '{sourceName}': {why}", sourceName, inner);
}
