using System.Net;
using CasbCore;
using CasbCore.Model;

namespace CasbGateway.Configuration;

/// <summary>One configuration revision, compiled: the engine plus what the request path looks up per request.</summary>
internal sealed class EngineState
{
    /// <param name="configuration">The revision.</param>
    /// <param name="secrets">Reads the store's secrets, when the revision signs users in.</param>
    public EngineState(CasbConfiguration configuration, Func<CasbCore.Store.StoreSecrets>? secrets = null)
    {
        Engine = new CasbEngine(configuration);
        SignIn = CasbGateway.SignIn.SignInState.Create(configuration, secrets);
        Apps = configuration.Apps
            .GroupBy(a => a.Name, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        IdentityHeader = string.IsNullOrWhiteSpace(configuration.Settings.IdentityHeader) ? null : configuration.Settings.IdentityHeader;
    }

    public CasbEngine Engine { get; }

    public long Revision => Engine.Revision;

    public IReadOnlyDictionary<string, AppEntry> Apps { get; }

    public string? IdentityHeader { get; }

    /// <summary>The identity provider and the apps that sign users in; null when none does (then sign-in costs nothing).</summary>
    public CasbGateway.SignIn.SignInState? SignIn { get; }

    /// <summary>The engine's own trusted-proxy check, so the header handling and the decision can never disagree.</summary>
    public bool IsTrustedProxy(IPAddress? address) => Engine.Policies.IsTrustedProxy(address);
}
