using System.Globalization;
using CasbCore.Certificates;

namespace CasbGateway.Enforcement;

/// <summary>
/// Why a device was not recognized, in words a blocked person understands and can act on. Never names a policy, a
/// trusted root or anything else from the gateway's configuration: only what the person's own certificate says.
/// </summary>
internal static class BlockReasonText
{
    /// <summary>For a reason this gateway has no words for yet (a newer engine): still true, still safe to show.</summary>
    public const string Fallback = "Your device certificate was not accepted. Give your helpdesk the details below.";

    /// <summary>The words for <paramref name="reason"/>, or null when there are none (a test fails on that).</summary>
    public static string? Describe(CertificateFailureReason reason, CertificateValidationResult? certificate = null)
    {
        DateTimeOffset at = certificate?.ValidatedAt ?? DateTimeOffset.UtcNow;
        return reason switch
        {
            CertificateFailureReason.NoCertificate =>
                "Your browser did not offer a device certificate. If one is installed on this device, it may have expired or not be valid yet: browsers do not offer those. Otherwise open this app on a device that has your organization's certificate, or ask your helpdesk to install one.",
            CertificateFailureReason.UntrustedRoot =>
                "The certificate your browser offered was not issued by an authority your organization trusts for this app. If you have more than one certificate, choose your organization's device certificate.",
            CertificateFailureReason.PartialChain =>
                "Your device certificate could not be traced back to an authority your organization trusts for this app. Ask your helpdesk to check how it was installed.",
            CertificateFailureReason.Expired => certificate?.NotAfter is { } notAfter && notAfter < at
                ? $"Your device certificate expired on {Date(notAfter)}. Ask your helpdesk for a new one."
                : "A certificate that your device certificate depends on has expired. Ask your helpdesk for help.",
            CertificateFailureReason.NotYetValid => certificate?.NotBefore is { } notBefore && notBefore > at
                ? $"Your device certificate is not valid until {Date(notBefore)}. Check that this device's date and time are set correctly."
                : "A certificate that your device certificate depends on is not valid yet. Check that this device's date and time are set correctly.",
            CertificateFailureReason.Revoked =>
                "Your device certificate has been revoked (withdrawn) by the authority that issued it. Ask your helpdesk for a new one.",
            CertificateFailureReason.RevocationUnknown =>
                "Whether your device certificate has been revoked could not be checked just now. Try again in a few minutes.",
            CertificateFailureReason.NotEndEntity =>
                "Your browser offered an authority's certificate, not a device certificate. Choose your device certificate when your browser asks.",
            CertificateFailureReason.NoClientAuthentication =>
                "The certificate your browser offered is not meant for signing in to apps (client authentication). Choose your device certificate when your browser asks.",
            CertificateFailureReason.InvalidSignature =>
                "The signature on your device certificate could not be verified; the certificate may be damaged. Ask your helpdesk for a new one.",
            CertificateFailureReason.InvalidCertificate =>
                "The certificate your browser offered could not be read. Ask your helpdesk for a new one.",
            CertificateFailureReason.WeakKey =>
                "Your device certificate, or an authority that issued it, uses a key that is too weak to be trusted today. Ask your helpdesk for a new certificate.",
            CertificateFailureReason.WeakSignature =>
                "Your device certificate, or an authority that issued it, is signed with an outdated method that can no longer be trusted. Ask your helpdesk for a new certificate.",
            CertificateFailureReason.CaNotForClientAuthentication =>
                "The authority that issued your device certificate may not issue certificates for signing in to apps. Ask your helpdesk for a certificate from the right authority.",
            CertificateFailureReason.NameConstraintViolation =>
                "Your device certificate names a user that the authority which issued it may not vouch for. Ask your helpdesk for a new certificate.",
            CertificateFailureReason.MalformedSubjectAlternativeName =>
                "The user name in your device certificate is malformed, so it does not reliably say who you are. Ask your helpdesk for a new certificate.",
            _ => null,
        };
    }

    /// <summary>A date as people write it, in UTC ("3 March 2026").</summary>
    public static string Date(DateTimeOffset value) =>
        value.UtcDateTime.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);
}
