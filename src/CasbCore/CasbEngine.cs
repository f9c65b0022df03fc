using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore;

/// <summary>
/// The decision engine for one configuration revision. The gateway keeps one per revision; Test-CasbAccess keeps
/// one per store content in <see cref="CasbEngineCache"/>. Both reach a decision through <see cref="Decide"/> only.
/// </summary>
public sealed class CasbEngine
{
    public CasbEngine(CasbConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configuration = configuration;
        Certificates = new CertificateValidator(configuration);
        Policies = CompiledPolicySet.Compile(configuration);
    }

    public CasbConfiguration Configuration { get; }

    public long Revision => Configuration.Revision;

    public CertificateValidator Certificates { get; }

    public CompiledPolicySet Policies { get; }

    public AccessDecision Decide(AccessRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Policies.Decide(request, Certificates);
    }

    /// <summary>Decides with a certificate result the caller already has (the gateway's per-certificate cache).</summary>
    public AccessDecision Decide(AccessRequest request, CertificateValidationResult certificate)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Policies.Decide(request, certificate);
    }
}
