namespace CasbGateway.Enforcement;

/// <summary>
/// The host name of a request's Host header (<see cref="HostString.Host"/>), kept for the header values seen last:
/// <see cref="HostString.Host"/> cuts the port off into a new string for every request ("gateway.contoso.com:8443",
/// "127.0.0.1:8443"), about 40 B per request of the gateway's allocation (docs/benchmarks.md, "Sixth pass: allocation").
/// A hit is the same header value, compared in full, so the name is always the one <see cref="HostString.Host"/> gives;
/// a client varying its Host header only replaces entries (32 at most).
/// </summary>
internal static class RequestHosts
{
    private static readonly Entry?[] Entries = new Entry?[32];

    public static string HostOf(HostString host)
    {
        string? value = host.Value;
        if (value is null || !value.Contains(':'))
        {
            return host.Host; // nothing to cut off: the header's own string
        }

        int slot = (int)((uint)value.GetHashCode() % (uint)Entries.Length);
        if (Volatile.Read(ref Entries[slot]) is { } entry && string.Equals(entry.Value, value, StringComparison.Ordinal))
        {
            return entry.Name;
        }

        string name = host.Host;
        Volatile.Write(ref Entries[slot], new Entry(value, name));
        return name;
    }

    private sealed record Entry(string Value, string Name);
}
