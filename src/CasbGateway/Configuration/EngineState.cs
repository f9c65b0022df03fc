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
        TrustedProxies = configuration.Settings.TrustedProxies.Select(ParseNetwork).OfType<IPNetwork>().ToArray();
        IdentityHeader = string.IsNullOrWhiteSpace(configuration.Settings.IdentityHeader) ? null : configuration.Settings.IdentityHeader;
    }

    public CasbEngine Engine { get; }

    public long Revision => Engine.Revision;

    public IReadOnlyDictionary<string, AppEntry> Apps { get; }

    public IReadOnlyList<IPNetwork> TrustedProxies { get; }

    public string? IdentityHeader { get; }

    public bool IsTrustedProxy(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        foreach (IPNetwork network in TrustedProxies)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private static IPNetwork? ParseNetwork(string value)
    {
        if (value.Contains('/'))
        {
            return IPNetwork.TryParse(value, out IPNetwork network) ? network : null;
        }

        if (IPAddress.TryParse(value, out IPAddress? address))
        {
            address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }

        return null;
    }
}
