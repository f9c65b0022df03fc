namespace CasbCore.Certificates;

public sealed record CertificateFailure(CertificateFailureReason Reason, string Message);

public sealed record CertificateChainElement(
    string Subject,
    string Issuer,
    string Thumbprint,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter);

/// <summary>The result of validating one client certificate against the store's trusted roots at one time.</summary>
public sealed class CertificateValidationResult
{
    public required bool IsValid { get; init; }

    public required string? Subject { get; init; }

    public required string? Issuer { get; init; }

    public required string? Thumbprint { get; init; }

    public DateTimeOffset? NotBefore { get; init; }

    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>The user the certificate names: UPN SAN, else e-mail SAN, else subject CN.</summary>
    public string? Principal { get; init; }

    public required DateTimeOffset ValidatedAt { get; init; }

    public IReadOnlyList<string> DeviceTags { get; init; } = Array.Empty<string>();

    public IReadOnlyList<CertificateFailure> Failures { get; init; } = Array.Empty<CertificateFailure>();

    public IReadOnlyList<CertificateChainElement> Chain { get; init; } = Array.Empty<CertificateChainElement>();

    /// <summary>"Valid", "None" (no certificate) or the first failure reason; for logs and tables.</summary>
    public string Status => IsValid ? "Valid" : Failures.Count > 0 ? Failures[0].Reason.ToString() : "None";

    public static CertificateValidationResult None(DateTimeOffset at) => new()
    {
        IsValid = false,
        Subject = null,
        Issuer = null,
        Thumbprint = null,
        ValidatedAt = at,
        Failures = new[] { new CertificateFailure(CertificateFailureReason.NoCertificate, "No client certificate was presented.") },
    };
}
