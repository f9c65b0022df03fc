using CasbCore.Policies;
using CasbGateway.Configuration;

namespace CasbGateway.Enforcement;

/// <summary>The one call from the request path into the engine (a seam for fail-closed tests).</summary>
internal interface IAccessDecider
{
    AccessDecision Decide(EngineState state, AccessRequest request);
}

/// <summary>Decides through <see cref="CasbCore.CasbEngine.Decide"/>, the same call Test-CasbAccess makes.</summary>
internal sealed class EngineAccessDecider : IAccessDecider
{
    public AccessDecision Decide(EngineState state, AccessRequest request) => state.Engine.Decide(request);
}
