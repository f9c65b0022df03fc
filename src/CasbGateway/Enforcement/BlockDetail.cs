using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbGateway.Enforcement;

/// <summary>
/// What the block page says besides the admin's message: why the device was not recognized (the validator's first
/// failure, as a reason code and in plain words) and the offered certificate's subject and validity dates.
/// </summary>
internal sealed record BlockDetail(
    string ReasonCode,
    string Explanation,
    string? CertificateSubject,
    DateTimeOffset? CertificateNotBefore,
    DateTimeOffset? CertificateNotAfter)
{
    /// <summary>
    /// The detail for a block that the client certificate decided (an access policy with a device-tag filter), when the
    /// admin has not turned it off; null otherwise: a block for any other cause would only mislead about the certificate.
    /// </summary>
    public static BlockDetail? For(AccessDecision decision, BlockPageDetail setting)
    {
        if (setting != BlockPageDetail.Reason || !decision.BlockedOnDeviceTags || decision.Certificate is not { IsValid: false } certificate)
        {
            return null;
        }

        // The first failure is the one the activity log records as the certificate's status: the helpdesk sees the same code.
        CertificateFailureReason? reason = certificate.Failures.Count > 0 ? certificate.Failures[0].Reason
            : certificate.Subject is null ? CertificateFailureReason.NoCertificate
            : null;
        return new BlockDetail(
            reason?.ToString() ?? certificate.Status,
            (reason is { } known ? BlockReasonText.Describe(known, certificate) : null) ?? BlockReasonText.Fallback,
            string.IsNullOrEmpty(certificate.Subject) ? null : certificate.Subject,
            certificate.NotBefore,
            certificate.NotAfter);
    }
}
