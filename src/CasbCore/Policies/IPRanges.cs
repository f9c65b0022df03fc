using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CasbCore.Policies;

/// <summary>
/// Parses and matches the IP ranges of access policies and trusted proxies: a single address
/// (<c>203.0.113.7</c>, <c>2001:db8::7</c>) or CIDR (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>). IPv4-mapped IPv6
/// addresses (<c>::ffff:10.1.2.3</c>) are treated as the IPv4 address they carry, on both sides, so a dual-stack
/// listener's peer address matches an IPv4 range.
/// </summary>
public static class IPRanges
{
    /// <summary>Parses one range; on failure <paramref name="error"/> says why (for the validator's message).</summary>
    public static bool TryParse(string? text, out IPNetwork network, [NotNullWhen(false)] out string? error)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "it is empty";
            return false;
        }

        string trimmed = text.Trim();
        int slash = trimmed.IndexOf('/');
        string addressText = slash < 0 ? trimmed : trimmed[..slash];
        if (!IPAddress.TryParse(addressText, out IPAddress? address) ||
            (address.AddressFamily != AddressFamily.InterNetwork && address.AddressFamily != AddressFamily.InterNetworkV6) ||
            addressText.Contains('%'))
        {
            error = $"'{addressText}' is not an IPv4 or IPv6 address";
            return false;
        }

        int bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix = bits;
        if (slash >= 0)
        {
            string prefixText = trimmed[(slash + 1)..];
            if (!int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits)
            {
                error = $"the prefix length '{prefixText}' is not a number from 0 to {bits}";
                return false;
            }
        }

        if (address.IsIPv4MappedToIPv6 && prefix >= 96)
        {
            address = address.MapToIPv4();
            prefix -= 96;
        }

        IPAddress masked = Mask(address, prefix);
        if (!masked.Equals(address))
        {
            error = $"it has bits set after the /{prefix} prefix (did you mean {masked}/{prefix}?)";
            return false;
        }

        network = new IPNetwork(address, prefix);
        error = null;
        return true;
    }

    /// <summary>Parses a list of ranges, throwing <c>errorId</c> for the first one that does not parse.</summary>
    public static IPNetwork[] ParseAll(IEnumerable<string> ranges, string errorId, string owner)
    {
        var result = new List<IPNetwork>();
        foreach (string range in ranges)
        {
            if (!TryParse(range, out IPNetwork network, out string? error))
            {
                throw new CasbException(errorId, CasbErrorKind.InvalidData, $"{owner}: the IP range '{range}' is invalid: {error}.", range);
            }

            result.Add(network);
        }

        return result.ToArray();
    }

    /// <summary>Returns the IPv4 address an IPv4-mapped IPv6 address carries; any other address unchanged.</summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>True when <paramref name="address"/> (normalized) is in any of <paramref name="networks"/>.</summary>
    public static bool ContainsAny(IPNetwork[] networks, IPAddress address)
    {
        IPAddress normalized = Normalize(address);
        foreach (IPNetwork network in networks)
        {
            if (network.Contains(normalized))
            {
                return true;
            }
        }

        return false;
    }

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }
}
