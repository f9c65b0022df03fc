using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore;

/// <summary>
/// The decision engine for one configuration revision. The gateway keeps one per revision; Test-CasbAccess keeps
/// one per store content in <see cref="CasbEngineCache"/>. Both reach a decision through <see cref="Decide(AccessRequest)"/> only.
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
    /// under every spelling of its name (<see cref="FileNameSpellings"/>): a policy that matches any of them matches.
    /// The gateway and Test-CasbAccess -Download/-Upload both call it.
    /// </summary>
    public FileDecision DecideFile(AccessDecision session, FileTransfer file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.ContentType is null && (file.FileName is null || !FileNameSpellings.HasOthers(file.FileName)))
        {
            return SessionStage.DecideFile(session, file);
        }

        // A policy matches the file when it matches any reading of its name, and the policies' own order picks among the
        // matches: the winner is then the same whichever spelling the caller had (the gateway a header's, Test-CasbAccess
        // the one typed), where "the strictest reading, ties to the first" picked another Audit policy for another spelling.
        // A Content-Type adds the name a browser saves the file under by its type (download.exe for application/x-msdownload).
        var spellings = new List<string>(2);
        if (file.FileName is not null)
        {
            FileNameSpellings.Add(spellings, file.FileName);
        }

        DownloadContentTypes.AddTypedNames(spellings, file.FileName, file.ContentType);
        var readings = new List<FileTransfer>(spellings.Count);
        foreach (string spelling in spellings)
        {
            if (!string.Equals(spelling, file.FileName, StringComparison.Ordinal)) // the name itself is the file
            {
                readings.Add(new FileTransfer(file.Direction, spelling, file.SizeBytes));
            }
        }

        return SessionStage.DecideFile(session, file, readings);
    }

    /// <summary>Decides with a certificate result the caller already has (the gateway's per-certificate cache).</summary>
    public AccessDecision Decide(AccessRequest request, CertificateValidationResult certificate)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Policies.Decide(request, certificate);
    }
}
