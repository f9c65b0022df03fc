namespace CasbModule.Tests.Gateway;

/// <summary>
/// Tests that assert metric values run alone: every in-process gateway's meter is named "CasbGateway", and
/// OpenTelemetry listens by name, so a gateway running at the same time in another test would add to the counts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GatewayMetricsCollection
{
    public const string Name = "Gateway metrics";
}
