namespace CasbCore.Certificates;

/// <summary>Why a client certificate does not earn the "Valid client certificate" tag.</summary>
public enum CertificateFailureReason
{
    NoCertificate,
    UntrustedRoot,
    PartialChain,
    Expired,
    NotYetValid,
    Revoked,
    RevocationUnknown,

    /// <summary>The certificate is a CA (basic constraints CA=true) or may sign certificates (key usage keyCertSign).</summary>
    NotEndEntity,
    NoClientAuthentication,
    InvalidSignature,
    InvalidCertificate,

    /// <summary>The certificate or a CA in its chain has a key that is too small or of a kind not accepted (RSA under 2048 bits, a curve under P-256, DSA).</summary>
    WeakKey,

    /// <summary>The certificate or an intermediate CA is signed with an algorithm not accepted (MD5, SHA-1, unknown).</summary>
    WeakSignature,

    /// <summary>A CA in the chain restricts its extended key usages and client authentication is not among them.</summary>
    CaNotForClientAuthentication,

    /// <summary>The user the certificate names is outside the names a CA in its chain may issue (name constraints).</summary>
    NameConstraintViolation,

    /// <summary>The certificate's subject alternative name (UPN or e-mail) is malformed, so it names no one reliably.</summary>
    MalformedSubjectAlternativeName,
}
