using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>The apps, groups and policies of one configuration revision, compiled for fast evaluation.</summary>
public sealed class CompiledPolicySet
{
    private CompiledPolicySet(CasbConfiguration configuration)
    {
        Configuration = configuration;
    }

    public CasbConfiguration Configuration { get; }

    public static CompiledPolicySet Compile(CasbConfiguration configuration) => new(configuration);

    public AccessDecision Decide(AccessRequest request, CertificateValidator certificates)
    {
        // TODO(issue 3): implemented by the policy-engine work.
        throw new NotImplementedException();
    }
}
