using System.Net;
using BenchmarkDotNet.Attributes;
using CasbCore;
using CasbCore.Policies;
using CasbCore.Store;

namespace CasbBenchmarks;

/// <summary>
/// What Test-CasbAccess does per call against an unchanged store of 1,000 access policies, without PowerShell:
/// <see cref="CachedEngine"/> takes the engine from <see cref="CasbEngineCache"/> (reads casb.json and compares it
/// with the bytes the engine was compiled from), decides and explains; <see cref="LoadAndCompile"/> is what each
/// call did before the cache (load, compile, build the certificate validator, decide, explain).
/// </summary>
[MemoryDiagnoser]
public class TestCasbAccessBenchmarks
{
    private readonly CasbEngineCache _cache = new();
    private string _directory = null!;
    private CasbStore _store = null!;
    private AccessRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("casb-bench-").FullName;
        _store = new CasbStore(_directory);
        _store.Update(c =>
        {
            CasbCore.Model.CasbConfiguration generated = DecisionBenchmarks.CreateConfiguration(1000);
            c.Settings = generated.Settings;
            c.Apps = generated.Apps;
            c.Groups = generated.Groups;
            c.ConditionalAccessPolicies = generated.ConditionalAccessPolicies;
            c.AccessPolicies = generated.AccessPolicies;
        });
        _request = new AccessRequest
        {
            AppName = "App 3",
            User = "user17@contoso.com",
            UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            ClientAddress = IPAddress.Parse("192.0.2.44"),
        };
        _cache.GetEngine(_store, out _);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true)]
    public DecisionExplanation LoadAndCompile() => new CasbEngine(_store.Load()).Decide(_request).Explain();

    [Benchmark]
    public DecisionExplanation CachedEngine()
    {
        CasbEngine engine = _cache.GetEngine(_store, out bool reused);
        return reused ? engine.Decide(_request).Explain() : throw new InvalidOperationException("The store changed during the benchmark.");
    }
}
