using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>What Test-CasbClientCertificate found: whether a client certificate earns the "Valid client certificate" device tag, and why not.</summary>
public sealed class CasbCertificateValidation
{
    internal CasbCertificateValidation(CertificateValidationResult result, RevocationCheckMode revocationMode, string? source, string storePath)
    {
        RevocationMode = revocationMode;
        IsValid = result.IsValid;
        Status = DisplayText.Safe(result.Status);
        DeviceTags = DisplayText.SafeAll(result.DeviceTags);
        Failures = result.Failures.Select(Display.Safe).ToArray();
        FailureReasons = result.Failures.Select(f => f.Reason).Distinct().ToArray();
        Chain = result.Chain.Select(Display.Safe).ToArray();
        Principal = DisplayText.Safe(result.Principal);
        Subject = DisplayText.Safe(result.Subject);
        Issuer = DisplayText.Safe(result.Issuer);
        Thumbprint = DisplayText.Safe(result.Thumbprint);
        NotBefore = result.NotBefore;
        NotAfter = result.NotAfter;
        ValidatedAt = result.ValidatedAt;
        Source = DisplayText.Safe(source);
        StorePath = DisplayText.Safe(storePath);
    }

    public bool IsValid { get; }

    /// <summary>"Valid" or the first failure reason.</summary>
    public string Status { get; }

    /// <summary>The device tags the certificate earns ("Valid client certificate" when valid).</summary>
    public string[] DeviceTags { get; }

    public CertificateFailureReason[] FailureReasons { get; }

    /// <summary>Each failure with a message saying which certificate and why.</summary>
    public CertificateFailure[] Failures { get; }

    /// <summary>The chain built from the leaf to a trusted root (as far as it goes).</summary>
    public CertificateChainElement[] Chain { get; }

    /// <summary>The user the certificate names: UPN SAN, else e-mail SAN, else subject CN.</summary>
    public string? Principal { get; }

    public string? Subject { get; }

    public string? Issuer { get; }

    public string? Thumbprint { get; }

    public DateTimeOffset? NotBefore { get; }

    public DateTimeOffset? NotAfter { get; }

    /// <summary>The time the certificate was checked at (-At, default now).</summary>
    public DateTimeOffset ValidatedAt { get; }

    /// <summary>The store's revocation mode the certificate was checked with.</summary>
    public RevocationCheckMode RevocationMode { get; }

    /// <summary>The file the certificate was read from, when -Path was used.</summary>
    public string? Source { get; }

    public string StorePath { get; }
}
