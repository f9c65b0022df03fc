using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CasbCore.Certificates;

/// <summary>
/// Which keys and signature algorithms a client certificate, its CAs and their CRLs may use. Decided here rather than
/// left to the platform chain builder (OpenSSL on Linux accepts 1024-bit RSA and SHA-1). By default: RSA of at least
/// 2048 bits, ECDSA on a named curve of at least 256 bits, and SHA-2/SHA-3 signatures with RSA (PKCS#1 v1.5 or PSS)
/// or ECDSA. With the gateway setting AllowWeakCertificateCryptography: also RSA and DSA of at least 1024 bits, named
/// curves of at least 192 bits and SHA-1 signatures. Never: MD5 (and older) signatures, RSA under 1024 bits, explicit
/// curve parameters, unknown key or signature algorithms.
/// </summary>
public static class CryptographyRules
{
    public const int MinimumRsaKeyBits = 2048;
    public const int MinimumEcKeyBits = 256;
    public const int WeakMinimumRsaKeyBits = 1024;
    public const int WeakMinimumDsaKeyBits = 1024;
    public const int WeakMinimumEcKeyBits = 192;

    private const string RsaKeyOid = "1.2.840.113549.1.1.1";
    private const string RsaPssKeyOid = "1.2.840.113549.1.1.10";
    private const string EcKeyOid = "1.2.840.10045.2.1";
    private const string DsaKeyOid = "1.2.840.10040.4.1";
    private const string WeakHint = " (Set-CasbGatewaySetting -AllowWeakCertificateCryptography $true accepts it for legacy devices.)";

    /// <summary>Null when the certificate's public key is acceptable, else why not (a sentence without the certificate's name).</summary>
    public static string? KeyProblem(X509Certificate2 certificate, bool allowWeak)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string oid = certificate.PublicKey.Oid.Value ?? "";
        try
        {
            switch (oid)
            {
                case RsaKeyOid:
                case RsaPssKeyOid:
                {
                    using RSA? rsa = certificate.GetRSAPublicKey();
                    if (rsa is null)
                    {
                        return "its RSA public key cannot be read";
                    }

                    return rsa.KeySize >= MinimumRsaKeyBits ? null
                        : allowWeak && rsa.KeySize >= WeakMinimumRsaKeyBits ? null
                        : $"its RSA key has {rsa.KeySize} bits; at least {MinimumRsaKeyBits} are required"
                          + (rsa.KeySize >= WeakMinimumRsaKeyBits ? WeakHint : "");
                }

                case EcKeyOid:
                {
                    ReadOnlySpan<byte> parameters = certificate.PublicKey.EncodedParameters?.RawData;
                    if (parameters.IsEmpty)
                    {
                        return "its elliptic-curve key names no curve";
                    }

                    if (parameters[0] != 0x06)
                    {
                        return "its elliptic-curve key has explicit curve parameters instead of a named curve";
                    }

                    using ECDsa? ecdsa = certificate.GetECDsaPublicKey();
                    if (ecdsa is null)
                    {
                        return "its elliptic-curve public key cannot be read";
                    }

                    string curve = new AsnReader(parameters.ToArray(), AsnEncodingRules.DER).ReadObjectIdentifier();
                    string curveName = new Oid(curve).FriendlyName ?? curve;
                    return ecdsa.KeySize >= MinimumEcKeyBits ? null
                        : allowWeak && ecdsa.KeySize >= WeakMinimumEcKeyBits ? null
                        : $"its elliptic-curve key is on {curveName} ({ecdsa.KeySize} bits); a curve of at least {MinimumEcKeyBits} bits such as P-256 is required"
                          + (ecdsa.KeySize >= WeakMinimumEcKeyBits ? WeakHint : "");
                }

                case DsaKeyOid:
                {
                    using DSA? dsa = certificate.GetDSAPublicKey();
                    int bits = dsa?.KeySize ?? 0;
                    return allowWeak && bits >= WeakMinimumDsaKeyBits ? null
                        : $"it has a DSA key ({bits} bits); DSA is not accepted, use RSA or ECDSA" + (bits >= WeakMinimumDsaKeyBits ? WeakHint : "");
                }

                default:
                    return $"its key algorithm {Describe(oid)} is not supported (use RSA or ECDSA)";
            }
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException or NotSupportedException)
        {
            return $"its {Describe(oid)} public key cannot be read: {ex.Message}";
        }
    }

    /// <summary>Null when a signature algorithm (OID and encoded parameters) is acceptable, else why not.</summary>
    public static string? SignatureProblem(string oid, ReadOnlyMemory<byte>? parameters, bool allowWeak)
    {
        ArgumentNullException.ThrowIfNull(oid);
        if (SignatureAlgorithm.Identify(oid, parameters) is not { } algorithm)
        {
            return $"its signature algorithm {Describe(oid)} is not supported (use SHA-256 or stronger with RSA or ECDSA)";
        }

        if (algorithm.Hash == HashAlgorithmName.MD5)
        {
            return $"it is signed with {algorithm.Name}, which is broken and never accepted";
        }

        bool legacy = algorithm.Hash == HashAlgorithmName.SHA1 || algorithm.Key == SignatureKeyKind.Dsa;
        if (legacy && !allowWeak)
        {
            return $"it is signed with {algorithm.Name}; SHA-256 or stronger with RSA or ECDSA is required" + WeakHint;
        }

        return null;
    }

    /// <summary>Null when a certificate's own signature algorithm is acceptable, else why not.</summary>
    public static string? SignatureProblem(X509Certificate2 certificate, bool allowWeak)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        (string oid, ReadOnlyMemory<byte>? parameters) = SignatureAlgorithm.OfCertificate(certificate);
        return SignatureProblem(oid, parameters, allowWeak);
    }

    private static string Describe(string oid)
    {
        string? name = new Oid(oid).FriendlyName;
        return string.IsNullOrEmpty(name) || name == oid ? oid : $"{name} ({oid})";
    }
}
