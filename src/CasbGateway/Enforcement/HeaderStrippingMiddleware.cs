using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using CasbGateway.Configuration;

namespace CasbGateway.Enforcement;

/// <summary>
/// Removes every inbound header a client could use to forge an identity, a device certificate, its address or
/// the URL it asked for (<see cref="ForgeableHeaders"/>) before anything reads the request. The trusted identity
/// header, X-Forwarded-For and Forwarded are honoured only from a trusted proxy: their values are captured for the engine
/// first, then the headers go too.
/// </summary>
internal sealed class HeaderStrippingMiddleware
{
    private readonly RequestDelegate _next;

    public HeaderStrippingMiddleware(RequestDelegate next)
    {
        _next = next;
    }

    public Task InvokeAsync(HttpContext context)
    {
        GatewayRequestFeature feature = context.Features.GetRequiredFeature<GatewayRequestFeature>();
        IHeaderDictionary headers = context.Request.Headers;
        bool fromTrustedProxy = feature.State?.IsTrustedProxy(feature.RemoteAddress) == true;
        if (fromTrustedProxy)
        {
            if (feature.State!.IdentityHeader is { } identityHeader && headers.TryGetValue(identityHeader, out StringValues identity)
                && !StringValues.IsNullOrEmpty(identity))
            {
                // The field as a list, several lines joined by ',' (RFC 9110 §5.3): the engine reads the user as its
                // last element (IdentityResolver.HeaderUser), so two lines and one line with a comma read alike. Not
                // StringValues.ToString, which drops an empty line: a proxy's empty last line names no one.
                feature.IdentityHeaderValue = identity.Count == 1 ? identity[0] : string.Join(',', identity.ToArray());
            }

            if (TryForwardedClient(headers, out string? forwardedFor, out IPAddress? client))
            {
                feature.TrustedForwardedFor = forwardedFor;
                feature.ClientAddress = client;
            }
            else
            {
                // A trusted proxy that names no client relays someone the gateway cannot see: the client is unknown (in no
                // range), never the proxy, whose address an office range may hold. Every client it relayed would be inside.
                feature.ClientAddress = null;
            }
        }

        Strip(headers, feature.State?.IdentityHeader);
        return _next(context);
    }

    /// <summary>Removes the forgeable headers (and the identity header, when named) from <paramref name="headers"/>.</summary>
    public static void Strip(IHeaderDictionary headers, string? identityHeader)
    {
        List<string>? remove = null;
        // The pairs, not Keys: Kestrel builds a new case-insensitive HashSet of the names for every Keys call.
        foreach (KeyValuePair<string, StringValues> header in headers)
        {
            if (ForgeableHeaders.IsForgeable(header.Key, identityHeader))
            {
                (remove ??= new List<string>()).Add(header.Key);
            }
        }

        if (remove is not null)
        {
            foreach (string name in remove)
            {
                headers.Remove(name);
            }
        }
    }

    /// <summary>
    /// The caller of the gateway's own endpoints (/healthz, /readyz, /metrics), for a request that has not been through
    /// this middleware, as the engine reads it: behind a trusted proxy the right-most X-Forwarded-For or Forwarded entry,
    /// unknown (null) when the proxy names no client, else the peer (IPv4-mapped addresses unmapped). Taken for the proxy,
    /// a proxy on the gateway's own host that sends no X-Forwarded-For (nginx's default) handed every client /metrics.
    /// Start-CasbGateway's probe names itself (GatewayProcesses.ProbeHealthAsync).
    /// </summary>
    internal static IPAddress? ClientAddress(EngineState? state, IPAddress? peer, IHeaderDictionary headers)
    {
        if (peer is { IsIPv4MappedToIPv6: true })
        {
            peer = peer.MapToIPv4();
        }

        if (state?.IsTrustedProxy(peer) != true)
        {
            return peer;
        }

        return TryForwardedClient(headers, out _, out IPAddress? client) ? client : null;
    }

    /// <summary>
    /// What a trusted proxy's X-Forwarded-For or RFC 7239 Forwarded says of the client, when it sent either: the right-most
    /// entry's address, or null when that entry is no address. The client is then unknown (in no IP range), never the proxy
    /// itself, whose address an office range may well hold. A proxy that writes both writes one address in both; when they
    /// differ, the proxy wrote one and passed on the client's own other: the client is unknown rather than what it said.
    /// </summary>
    private static bool TryForwardedClient(IHeaderDictionary headers, [NotNullWhen(true)] out string? forwardedFor, out IPAddress? client)
    {
        forwardedFor = null;
        client = null;
        bool hasForwardedFor = headers.TryGetValue("X-Forwarded-For", out StringValues values) && !StringValues.IsNullOrEmpty(values);
        bool hasForwarded = headers.TryGetValue("Forwarded", out StringValues forwarded) && !StringValues.IsNullOrEmpty(forwarded);
        if (!hasForwardedFor && !hasForwarded)
        {
            return false;
        }

        IPAddress? fromForwarded = hasForwarded ? LastForwardedFor(forwarded.ToString()) : null;
        if (hasForwardedFor)
        {
            forwardedFor = values.ToString();
            client = LastAddress(forwardedFor);
            if (hasForwarded && !Equals(client, fromForwarded))
            {
                client = null;
            }
        }
        else
        {
            client = fromForwarded;
            forwardedFor = client?.ToString() ?? "unknown";
        }

        return true;
    }

    /// <summary>
    /// The for= of a Forwarded header's right-most element (RFC 7239: elements by ',', pairs by ';', a value a token or a
    /// quoted string), as an X-Forwarded-For entry reads; null when that element has none or it is no address.
    /// </summary>
    internal static IPAddress? LastForwardedFor(string forwarded)
    {
        bool quoted = false;
        int last = 0;
        for (int i = 0; i < forwarded.Length; i++)
        {
            if (forwarded[i] == '"')
            {
                quoted = !quoted;
            }
            else if (forwarded[i] == '\\' && quoted)
            {
                i++;
            }
            else if (forwarded[i] == ',' && !quoted)
            {
                last = i + 1;
            }
        }

        IPAddress? address = null;
        foreach (string pair in forwarded[last..].Split(';'))
        {
            int equals = pair.IndexOf('=');
            if (equals < 0 || !pair.AsSpan(0, equals).Trim(" \t").Equals("for", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (address is not null)
            {
                return null; // two for= in one element: no one knows which
            }

            string value = pair[(equals + 1)..].Trim(' ', '\t');
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
            {
                value = value[1..^1].Replace("\\", "", StringComparison.Ordinal);
            }

            address = ForwardedAddress(value);
            if (address is null)
            {
                return null;
            }
        }

        return address;
    }

    // The right-most entry is the one the trusted proxy itself added.
    internal static IPAddress? LastAddress(string forwardedFor)
    {
        int comma = forwardedFor.LastIndexOf(',');
        return ForwardedAddress(forwardedFor.AsSpan(comma + 1));
    }

    /// <summary>
    /// One X-Forwarded-For entry as proxies write it: an address, an IPv4 address with a port ("203.0.113.7:54321",
    /// Azure Application Gateway), an IPv6 address bare or in brackets with or without a port; null for anything else
    /// ("unknown", a port alone, inet_aton's shorthands such as "203.7" that no proxy writes).
    /// </summary>
    internal static IPAddress? ForwardedAddress(ReadOnlySpan<char> entry)
    {
        entry = entry.Trim(" \t");
        if (entry.StartsWith('['))
        {
            int close = entry.IndexOf(']');
            if (close < 0 || !IsPortOrNothing(entry[(close + 1)..]))
            {
                return null;
            }

            return IPAddress.TryParse(entry[1..close], out IPAddress? bracketed) && bracketed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? bracketed : null;
        }

        int colon = entry.IndexOf(':');
        if (colon >= 0 && entry.LastIndexOf(':') == colon)
        {
            // One colon: IPv4 with a port (an IPv6 address has at least two).
            if (!IsPortOrNothing(entry[colon..]))
            {
                return null;
            }

            entry = entry[..colon];
        }

        if (!IPAddress.TryParse(entry, out IPAddress? address))
        {
            return null;
        }

        // IPAddress.TryParse also reads inet_aton's "203.7" or "0x7f.1": only the dotted quad is an IPv4 entry.
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || entry.Count('.') == 3 && !entry.ContainsAnyExcept("0123456789.")
            ? address : null;
    }

    // "" or ":" followed by a port number (0-65535, digits only).
    private static bool IsPortOrNothing(ReadOnlySpan<char> rest) =>
        rest.IsEmpty || (rest[0] == ':' && rest.Length is >= 2 and <= 6 && !rest[1..].ContainsAnyExcept("0123456789")
                         && int.Parse(rest[1..], System.Globalization.CultureInfo.InvariantCulture) <= ushort.MaxValue);
}
