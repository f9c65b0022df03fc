using BenchmarkDotNet.Attributes;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbBenchmarks;

/// <summary>
/// The canonical request path, which the gateway computes once per request from the raw target and the app matcher
/// once more from the escaped form: an already canonical path (the common case), one to normalize, one with
/// non-ASCII escapes, and an app lookup over 20 apps.
/// </summary>
[MemoryDiagnoser]
public class RequestPathBenchmarks
{
    private AppMatcher _apps = null!;

    [GlobalSetup]
    public void Setup() => _apps = new AppMatcher(DecisionBenchmarks.CreateConfiguration(10).Apps);

    [Benchmark(Baseline = true)]
    public RequestPath? Canonical() => RequestPath.TryParse("/mail/inbox/message-42?folder=1", out RequestPath? path, out _) ? path : null;

    [Benchmark]
    public RequestPath? Normalized() => RequestPath.TryParse("//mail/./inbox/../inbox//message-42?folder=1", out RequestPath? path, out _) ? path : null;

    [Benchmark]
    public RequestPath? Escaped() => RequestPath.TryParse("/mail/caf%C3%A9/r%C3%A9sum%C3%A9%20final", out RequestPath? path, out _) ? path : null;

    [Benchmark]
    public AppEntry? FindApp() => _apps.Find("app3.contoso.local:8443", "/mail/inbox/message-42?folder=1");
}
