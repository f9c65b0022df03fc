using System.Net;
using CasbCore;
using CasbCore.Model;

namespace CasbGateway.Configuration;

/// <summary>One configuration revision, compiled: the engine plus what the request path looks up per request.</summary>
internal sealed class EngineState
{
    /// <param name="configuration">The parsed, validated configuration.</param>
    /// <param name="contentHash">SHA-256 (hex) of the store file it came from; null when there was no file.</param>
    public EngineState(CasbConfiguration configuration, string? contentHash = null)
    {
        ContentHash = contentHash;
        Engine = new CasbEngine(configuration);
        Apps = configuration.Apps
            .GroupBy(a => a.Name, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        BlockPageDetail = configuration.Settings.BlockPageDetail;
        IdentityHeader = string.IsNullOrWhiteSpace(configuration.Settings.IdentityHeader) ? null : configuration.Settings.IdentityHeader;
    }

    public CasbEngine Engine { get; }

    public long Revision => Engine.Revision;

    /// <summary>What identifies this configuration: two files with the same revision number can still differ.</summary>
    public string? ContentHash { get; }

    /// <summary>The first 12 hex digits of <see cref="ContentHash"/>, for logs and /readyz; "none" without a store file.</summary>
    public string ShortHash => ContentHash is null ? "none" : ContentHash[..12];

    public IReadOnlyDictionary<string, AppEntry> Apps { get; }

    public string? IdentityHeader { get; }

    public BlockPageDetail BlockPageDetail { get; }

    /// <summary>The engine's own trusted-proxy check, so the header handling and the decision can never disagree.</summary>
    public bool IsTrustedProxy(IPAddress? address) => Engine.Policies.IsTrustedProxy(address);
}
