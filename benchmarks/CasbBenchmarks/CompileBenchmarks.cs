using BenchmarkDotNet.Attributes;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbBenchmarks;

/// <summary>Compiling a configuration of 20 apps, 20 groups and 1,000 access policies (once per revision).</summary>
[MemoryDiagnoser]
public class CompileBenchmarks
{
    private CasbConfiguration _configuration = null!;

    [GlobalSetup]
    public void Setup() => _configuration = DecisionBenchmarks.CreateConfiguration(1000);

    [Benchmark]
    public CompiledPolicySet Compile1000() => CompiledPolicySet.Compile(_configuration);
}
