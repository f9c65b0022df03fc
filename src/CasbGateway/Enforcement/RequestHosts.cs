using CasbCore.Policies;

namespace CasbGateway.Enforcement;

/// <summary>
/// The host name a request is for, as the client sent it in its Host header (HTTP/2's :authority), without the port:
/// what every app lookup of the gateway uses, as Test-CasbAccess does. Not <see cref="HttpRequest.Host"/>: that one
/// decodes an international name from its ASCII form ("xn--bcher-kva.contoso.local" becomes "bücher.contoso.local"),
/// which matches no app host name (they are stored in the ASCII form), so an app on such a name was never found and a
/// wildcard app on its parent domain took its requests.
/// </summary>
/// <remarks>
/// Kept for the header values seen last: cutting the port off makes a new string for every request
/// ("gateway.contoso.com:8443", "127.0.0.1:8443"), about 40 B per request of the gateway's allocation
/// (docs/benchmarks.md, "Sixth pass: allocation"). A hit is the same header value, compared in full, so the name is
/// always the one <see cref="AppMatcher.StripPort(string)"/> gives; a client varying its Host header only replaces
/// entries (32 at most).
/// </remarks>
internal static class RequestHosts
{
    private static readonly Entry?[] Entries = new Entry?[32];

    public static string HostOf(HttpRequest request) => HostOf(request.Headers.Host.ToString());

    /// <summary>The host name of a Host header value (the port cut off as <see cref="AppMatcher.StripPort(string)"/> does).</summary>
    public static string HostOf(string value)
    {
        if (value.AsSpan().IndexOfAny(':', '[') < 0)
        {
            return value; // nothing to cut off: the header's own string
        }

        int slot = (int)((uint)value.GetHashCode() % (uint)Entries.Length);
        if (Volatile.Read(ref Entries[slot]) is { } entry && string.Equals(entry.Value, value, StringComparison.Ordinal))
        {
            return entry.Name;
        }

        string name = AppMatcher.StripPort(value);
        Volatile.Write(ref Entries[slot], new Entry(value, name));
        return name;
    }

    private sealed record Entry(string Value, string Name);
}
