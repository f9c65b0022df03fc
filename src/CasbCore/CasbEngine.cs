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

    /// <summary>
    /// Decides one download or upload inside a session this engine decided: the session controls the decision
    /// carries (App Control mode, matched session policies) against the file's direction, extension and size.
    /// The gateway and Test-CasbAccess -Download/-Upload both call it.
    /// </summary>
    public FileDecision DecideFile(AccessDecision session, FileTransfer file)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(file);
        return SessionStage.DecideFile(session, file);
    }

    /// <summary>Decides with a certificate result the caller already has (the gateway's per-certificate cache).</summary>
    public AccessDecision Decide(AccessRequest request, CertificateValidationResult certificate)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Policies.Decide(request, certificate);
    }
}
