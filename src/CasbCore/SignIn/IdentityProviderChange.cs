namespace CasbCore.SignIn;

/// <summary>What Set-CasbIdentityProvider changes; a null property stays as it is.</summary>
public sealed record IdentityProviderChange
{
    public string? Name { get; init; }

    public string? Authority { get; init; }

    public string? ClientId { get; init; }

    /// <summary>A new client secret (replaces a client certificate).</summary>
    public string? ClientSecret { get; init; }

    /// <summary>A new client certificate with its private key, as PKCS#12 without a password, base64 (replaces a client secret).</summary>
    public string? ClientCertificatePkcs12 { get; init; }

    public string? ClientCertificateThumbprint { get; init; }

    public IReadOnlyList<string>? Scopes { get; init; }

    public string? UserClaim { get; init; }

    public string? GroupClaim { get; init; }

    public int? SessionLifetimeMinutes { get; init; }

    /// <summary>A CA certificate (DER, base64) the authority's TLS certificate must chain to; empty string: trust the OS roots again.</summary>
    public string? AuthorityCertificate { get; init; }

    /// <summary>The discovery document checked for this change, or null when it was stored without a check (-SkipValidation).</summary>
    public IdentityProviderMetadata? Metadata { get; init; }
}
