namespace CasbModule.Tests.Browser;

/// <summary>
/// The browser tests run on their own, after the parallel ones: a browser per test is heavy on a 2-core machine, and
/// the gateway's /metrics in a test process also counts the other in-process gateways' meters of the same name.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "Browser";
}
