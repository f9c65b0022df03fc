using System.Net;
using CasbCore;
using CasbCore.Model;

namespace CasbGateway.Configuration;

/// <summary>One configuration revision, compiled: the engine plus what the request path looks up per request.</summary>
internal sealed class EngineState
{
    /// <param name="configuration">The parsed, validated configuration.</param>
    /// <param name="contentHash">SHA-256 (hex) of the store file it came from; null when there was no file.</param>
    /// <param name="secrets">Reads the store's secrets, when the revision signs users in.</param>
    public EngineState(CasbConfiguration configuration, string? contentHash = null, Func<CasbCore.Store.StoreSecrets>? secrets = null)
    {
        ContentHash = contentHash;
        Engine = new CasbEngine(configuration);
        SignIn = CasbGateway.SignIn.SignInState.Create(configuration, secrets);
        Apps = configuration.Apps
            .GroupBy(a => a.Name, CasbCore.Catalogs.ItemNames.Comparer)
            .ToDictionary(g => g.Key, g => g.First(), CasbCore.Catalogs.ItemNames.Comparer);
        // Validated absolute URIs: parsed once per revision, not per redirect the app answers.
        var upstreams = new Dictionary<string, Uri>(CasbCore.Catalogs.ItemNames.Comparer);
        foreach (AppEntry app in Apps.Values)
        {
            if (Uri.TryCreate(app.Upstream, UriKind.Absolute, out Uri? upstream))
            {
                upstreams[app.Name] = upstream;
            }
        }

        Upstreams = upstreams;
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

    /// <summary>Each app's upstream, parsed, by app name (the upstream address the gateway rewrites in Location headers).</summary>
    public IReadOnlyDictionary<string, Uri> Upstreams { get; }

    public string? IdentityHeader { get; }

    /// <summary>The identity provider and the apps that sign users in; null when none does (then sign-in costs nothing).</summary>
    public CasbGateway.SignIn.SignInState? SignIn { get; }

    public BlockPageDetail BlockPageDetail { get; }

    /// <summary>The engine's own trusted-proxy check, so the header handling and the decision can never disagree.</summary>
    public bool IsTrustedProxy(IPAddress? address) => Engine.Policies.IsTrustedProxy(address);
}
