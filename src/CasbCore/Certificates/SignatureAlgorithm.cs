using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CasbCore.Certificates;

/// <summary>The kind of key a signature algorithm signs with.</summary>
internal enum SignatureKeyKind
{
    Rsa,
    RsaPss,
    Ecdsa,
    Dsa,
}

/// <summary>
/// A signature algorithm identifier (RFC 5280 AlgorithmIdentifier) the engine understands: the hash and the key kind.
/// One table for certificate and CRL signatures, so that "which algorithms verify" and "which are strong enough"
/// cannot drift apart. <see cref="Identify"/> returns null for anything not in the table (MD2, MD4, SHA-224, ...).
/// </summary>
internal readonly record struct SignatureAlgorithm(string Oid, HashAlgorithmName Hash, SignatureKeyKind Key)
{
    /// <summary>"SHA-1 with RSA", for messages.</summary>
    public string Name => $"{HashName(Hash)} with {Key switch
    {
        SignatureKeyKind.Rsa => "RSA",
        SignatureKeyKind.RsaPss => "RSA-PSS",
        SignatureKeyKind.Ecdsa => "ECDSA",
        _ => "DSA",
    }}";

    /// <summary>The algorithm, or null when it is unknown or its parameters are not the usual ones (never guessed).</summary>
    public static SignatureAlgorithm? Identify(string oid, ReadOnlyMemory<byte>? parameters)
    {
        (HashAlgorithmName hash, SignatureKeyKind key)? known = oid switch
        {
            "1.2.840.113549.1.1.4" => (HashAlgorithmName.MD5, SignatureKeyKind.Rsa),
            "1.2.840.113549.1.1.5" or "1.3.14.3.2.29" => (HashAlgorithmName.SHA1, SignatureKeyKind.Rsa),
            "1.2.840.113549.1.1.11" => (HashAlgorithmName.SHA256, SignatureKeyKind.Rsa),
            "1.2.840.113549.1.1.12" => (HashAlgorithmName.SHA384, SignatureKeyKind.Rsa),
            "1.2.840.113549.1.1.13" => (HashAlgorithmName.SHA512, SignatureKeyKind.Rsa),
            "2.16.840.1.101.3.4.3.14" => (HashAlgorithmName.SHA3_256, SignatureKeyKind.Rsa),
            "2.16.840.1.101.3.4.3.15" => (HashAlgorithmName.SHA3_384, SignatureKeyKind.Rsa),
            "2.16.840.1.101.3.4.3.16" => (HashAlgorithmName.SHA3_512, SignatureKeyKind.Rsa),
            "1.2.840.10045.4.1" => (HashAlgorithmName.SHA1, SignatureKeyKind.Ecdsa),
            "1.2.840.10045.4.3.2" => (HashAlgorithmName.SHA256, SignatureKeyKind.Ecdsa),
            "1.2.840.10045.4.3.3" => (HashAlgorithmName.SHA384, SignatureKeyKind.Ecdsa),
            "1.2.840.10045.4.3.4" => (HashAlgorithmName.SHA512, SignatureKeyKind.Ecdsa),
            "2.16.840.1.101.3.4.3.10" => (HashAlgorithmName.SHA3_256, SignatureKeyKind.Ecdsa),
            "2.16.840.1.101.3.4.3.11" => (HashAlgorithmName.SHA3_384, SignatureKeyKind.Ecdsa),
            "2.16.840.1.101.3.4.3.12" => (HashAlgorithmName.SHA3_512, SignatureKeyKind.Ecdsa),
            "1.2.840.10040.4.3" => (HashAlgorithmName.SHA1, SignatureKeyKind.Dsa),
            "2.16.840.1.101.3.4.3.2" => (HashAlgorithmName.SHA256, SignatureKeyKind.Dsa),
            _ => null,
        };
        if (known is { } k)
        {
            return new SignatureAlgorithm(oid, k.hash, k.key);
        }

        if (oid == "1.2.840.113549.1.1.10" && parameters is { } p && ReadPssHash(p) is { } pssHash)
        {
            return new SignatureAlgorithm(oid, pssHash, SignatureKeyKind.RsaPss);
        }

        return null;
    }

    /// <summary>Verifies <paramref name="signature"/> over <paramref name="data"/> with <paramref name="signer"/>'s public key.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, X509Certificate2 signer)
    {
        switch (Key)
        {
            case SignatureKeyKind.Rsa:
            case SignatureKeyKind.RsaPss:
            {
                using RSA? rsa = signer.GetRSAPublicKey();
                return rsa is not null && rsa.VerifyData(data, signature, Hash, Key == SignatureKeyKind.Rsa ? RSASignaturePadding.Pkcs1 : RSASignaturePadding.Pss);
            }

            case SignatureKeyKind.Ecdsa:
            {
                using ECDsa? ecdsa = signer.GetECDsaPublicKey();
                return ecdsa is not null && ecdsa.VerifyData(data, signature, Hash, DSASignatureFormat.Rfc3279DerSequence);
            }

            default:
            {
                using DSA? dsa = signer.GetDSAPublicKey();
                return dsa is not null && dsa.VerifyData(data, signature, Hash, DSASignatureFormat.Rfc3279DerSequence);
            }
        }
    }

    /// <summary>Reads an AlgorithmIdentifier: its OID and its encoded parameters (null when absent).</summary>
    public static (string Oid, ReadOnlyMemory<byte>? Parameters) ReadIdentifier(AsnReader reader)
    {
        AsnReader algorithm = reader.ReadSequence();
        string oid = algorithm.ReadObjectIdentifier();
        ReadOnlyMemory<byte>? parameters = algorithm.HasData ? algorithm.ReadEncodedValue() : null;
        algorithm.ThrowIfNotEmpty();
        return (oid, parameters);
    }

    /// <summary>
    /// True when <paramref name="certificate"/> is signed by its own key (a real self-signed root, not just a
    /// certificate whose issuer name equals its subject). Unknown algorithms and unreadable encodings are false.
    /// </summary>
    public static bool IsSelfSigned(X509Certificate2 certificate)
    {
        if (!certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData))
        {
            return false;
        }

        try
        {
            var outer = new AsnReader(certificate.RawData, AsnEncodingRules.DER);
            AsnReader body = outer.ReadSequence();
            ReadOnlyMemory<byte> tbs = body.ReadEncodedValue();
            (string oid, ReadOnlyMemory<byte>? parameters) = ReadIdentifier(body);
            byte[] signature = body.ReadBitString(out int unusedBits);
            return unusedBits == 0 && Identify(oid, parameters) is { } algorithm && algorithm.Verify(tbs.Span, signature, certificate);
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException or NotSupportedException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The algorithm identifier of a certificate's own signature (outer signatureAlgorithm), with parameters.</summary>
    public static (string Oid, ReadOnlyMemory<byte>? Parameters) OfCertificate(X509Certificate2 certificate)
    {
        var outer = new AsnReader(certificate.RawData, AsnEncodingRules.DER);
        AsnReader body = outer.ReadSequence();
        body.ReadEncodedValue();
        return ReadIdentifier(body);
    }

    private static string HashName(HashAlgorithmName hash) =>
        hash == HashAlgorithmName.SHA1 ? "SHA-1"
        : hash == HashAlgorithmName.SHA256 ? "SHA-256"
        : hash == HashAlgorithmName.SHA384 ? "SHA-384"
        : hash == HashAlgorithmName.SHA512 ? "SHA-512"
        : hash == HashAlgorithmName.SHA3_256 ? "SHA3-256"
        : hash == HashAlgorithmName.SHA3_384 ? "SHA3-384"
        : hash == HashAlgorithmName.SHA3_512 ? "SHA3-512"
        : hash.Name ?? "?";

    /// <summary>
    /// RSASSA-PSS parameters (RFC 4055). The BCL verifies PSS with MGF1 over the same hash and a salt as long as the
    /// hash, which is what every common CA emits; anything else is null (refused rather than guessed).
    /// </summary>
    private static HashAlgorithmName? ReadPssHash(ReadOnlyMemory<byte> encoded)
    {
        try
        {
            AsnReader parameters = new AsnReader(encoded, AsnEncodingRules.DER).ReadSequence();
            string hashOid = "1.3.14.3.2.26"; // SHA-1, the RFC 4055 default
            string mgfHashOid = hashOid;
            int saltLength = 20;
            if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                AsnReader wrapper = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
                hashOid = ReadIdentifier(wrapper).Oid;
            }

            if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
            {
                AsnReader wrapper = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1));
                AsnReader mgf = wrapper.ReadSequence();
                if (mgf.ReadObjectIdentifier() != "1.2.840.113549.1.1.8")
                {
                    return null; // only MGF1
                }

                mgfHashOid = ReadIdentifier(mgf).Oid;
            }

            if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2)))
            {
                AsnReader wrapper = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 2));
                if (!wrapper.TryReadInt32(out saltLength))
                {
                    return null;
                }
            }

            (HashAlgorithmName hash, int hashLength)? known = hashOid switch
            {
                "1.3.14.3.2.26" => (HashAlgorithmName.SHA1, 20),
                "2.16.840.1.101.3.4.2.1" => (HashAlgorithmName.SHA256, 32),
                "2.16.840.1.101.3.4.2.2" => (HashAlgorithmName.SHA384, 48),
                "2.16.840.1.101.3.4.2.3" => (HashAlgorithmName.SHA512, 64),
                _ => null,
            };
            return known is { } k && mgfHashOid == hashOid && saltLength == k.hashLength ? k.hash : null;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
