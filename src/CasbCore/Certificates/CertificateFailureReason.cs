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
    NotEndEntity,
    NoClientAuthentication,
    InvalidSignature,
    InvalidCertificate,
}
