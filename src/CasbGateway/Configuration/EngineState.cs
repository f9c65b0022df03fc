using System.Net;
using CasbCore;
using CasbCore.Model;

namespace CasbGateway.Configuration;

/// <summary>One configuration revision, compiled: the engine plus what the request path looks up per request.</summary>
internal sealed class EngineState
{
    public EngineState(CasbConfiguration configuration)
    {
        Engine = new CasbEngine(configuration);
        Apps = configuration.Apps
            .GroupBy(a => a.Name, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        BlockPageDetail = configuration.Settings.BlockPageDetail;
        IdentityHeader = string.IsNullOrWhiteSpace(configuration.Settings.IdentityHeader) ? null : configuration.Settings.IdentityHeader;
    }

    public CasbEngine Engine { get; }

    public long Revision => Engine.Revision;

    public IReadOnlyDictionary<string, AppEntry> Apps { get; }

    public string? IdentityHeader { get; }

    public BlockPageDetail BlockPageDetail { get; }

    /// <summary>The engine's own trusted-proxy check, so the header handling and the decision can never disagree.</summary>
    public bool IsTrustedProxy(IPAddress? address) => Engine.Policies.IsTrustedProxy(address);
}
