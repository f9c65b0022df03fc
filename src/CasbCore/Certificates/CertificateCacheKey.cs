using System.Security.Cryptography.X509Certificates;

namespace CasbCore.Certificates;

/// <summary>
/// What the validator's result cache is keyed on: the certificate's DER bytes themselves, so a hit is the same
/// certificate byte for byte, found without allocating (no SHA-256, no hex string, no copy of the bytes).
/// </summary>
/// <remarks>
/// The hash covers every byte and is seeded per process (<see cref="HashCode"/>): a client presenting many crafted
/// certificates cannot make them share a bucket. Equality compares the bytes, never just the hash.
/// </remarks>
internal readonly struct CertificateCacheKey : IEquatable<CertificateCacheKey>
{
    private readonly ReadOnlyMemory<byte> _der;
    private readonly int _hash;

    private CertificateCacheKey(ReadOnlyMemory<byte> der)
    {
        _der = der;
        var hash = new HashCode();
        hash.AddBytes(der.Span);
        _hash = hash.ToHashCode();
    }

    /// <summary>A key over the certificate's own bytes (not copied): for lookups while the certificate is in use.</summary>
    public static CertificateCacheKey For(X509Certificate2 certificate) => new(certificate.RawDataMemory);

    /// <summary>The same key over a private copy of the bytes: what the cache keeps, independent of the certificate object.</summary>
    public CertificateCacheKey Detached() => new(_der.ToArray(), _hash);

    private CertificateCacheKey(ReadOnlyMemory<byte> der, int hash)
    {
        _der = der;
        _hash = hash;
    }

    public bool Equals(CertificateCacheKey other) => _hash == other._hash && _der.Span.SequenceEqual(other._der.Span);

    public override bool Equals(object? obj) => obj is CertificateCacheKey other && Equals(other);

    public override int GetHashCode() => _hash;
}
