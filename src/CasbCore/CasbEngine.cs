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
    /// carries (App Control mode, matched session policies) against the file's direction, extension and size,
    /// under every spelling of its name (<see cref="FileNameSpellings"/>): the strictest answer stands.
    /// The gateway and Test-CasbAccess -Download/-Upload both call it.
    /// </summary>
    public FileDecision DecideFile(AccessDecision session, FileTransfer file)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(file);
        FileDecision strictest = SessionStage.DecideFile(session, file);
        if (file.FileName is null || !FileNameSpellings.HasOthers(file.FileName))
        {
            return strictest;
        }

        foreach (string spelling in FileNameSpellings.Of(file.FileName))
        {
            FileDecision decision = SessionStage.DecideFile(session, new FileTransfer(file.Direction, spelling, file.SizeBytes));
            if (decision.Action > strictest.Action)
            {
                strictest = decision; // ties keep the name as given
            }
        }

        return strictest;
    }

    /// <summary>Decides with a certificate result the caller already has (the gateway's per-certificate cache).</summary>
    public AccessDecision Decide(AccessRequest request, CertificateValidationResult certificate)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Policies.Decide(request, certificate);
    }
}
