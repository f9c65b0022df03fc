using BenchmarkDotNet.Attributes;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Policies;

namespace CasbBenchmarks;

/// <summary>
/// One decision over 10, 100 and 1,000 access policies (a realistic mix of app, user/group, device tag,
/// IP range and user-agent filters; a tenth of them disabled), with a precomputed certificate result (the
/// validator caches it per revision). The allowed request is a user whose groups' policies are evaluated and
/// exclude them (Allow); the blocked one has no certificate and goes to an app that requires one (Block).
/// <see cref="DecideAndExplain"/> adds the explanation (reasons, conditional-access results, matched policies),
/// which the gateway's activity record and Test-CasbAccess read.
/// </summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    private CompiledPolicySet _policies = null!;
    private AccessRequest _allowed = null!;
    private AccessRequest _blocked = null!;
    private CertificateValidationResult _valid = null!;
    private CertificateValidationResult _none = null!;

    [Params(10, 100, 1000)]
    public int Policies { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _policies = CompiledPolicySet.Compile(CreateConfiguration(Policies));
        _valid = ScaleConfiguration.ValidCertificate;
        _none = CertificateValidationResult.None(ScaleConfiguration.At);
        _allowed = ScaleConfiguration.AllowedRequest;
        _blocked = ScaleConfiguration.BlockedRequest;
    }

    [Benchmark]
    public AccessDecision DecideWithValidCertificate() => _policies.Decide(_allowed, _valid);

    [Benchmark]
    public AccessDecision DecideWithoutCertificate() => _policies.Decide(_blocked, _none);

    [Benchmark]
    public DecisionExplanation DecideAndExplain() => _policies.Decide(_allowed, _valid).Explain();

    /// <summary>The configuration the allocation guard (tests/Unit/Policies/DecisionAllocationTests.cs) uses too: one copy.</summary>
    internal static CasbConfiguration CreateConfiguration(int policyCount) => ScaleConfiguration.Create(policyCount);
}
