using System.Security.Cryptography.X509Certificates;

namespace CasbCore.Certificates;

/// <summary>
/// What the validator's result cache is keyed on: the certificate's DER bytes themselves, so a hit is the same
/// certificate byte for byte (no SHA-256, no hex string). Made once per certificate object (a connection's requests
/// after its first find their result by the object), over a private copy of the bytes.
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

    /// <summary>
    /// A key over a copy of the certificate's bytes, independent of the object (the server may dispose it), so the
    /// cache can keep it. Exported, not read from <c>RawData</c>/<c>RawDataMemory</c>: those keep the bytes on the
    /// object for its lifetime, and the object is a TLS connection's client certificate, alive as long as the
    /// connection (about 1 KB more held per open connection; docs/benchmarks.md, "Seventh pass: memory").
    /// </summary>
    public static CertificateCacheKey For(X509Certificate2 certificate) => new(certificate.Export(X509ContentType.Cert));

    public bool Equals(CertificateCacheKey other) => _hash == other._hash && _der.Span.SequenceEqual(other._der.Span);

    public override bool Equals(object? obj) => obj is CertificateCacheKey other && Equals(other);

    public override int GetHashCode() => _hash;
}
