using System.Net;
using System.Text;
using CasbCore.Catalogs;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// Finds the app a request is for. An app answers on its <see cref="AppEntry.Hostnames"/> (exact names, or
/// wildcards such as <c>*.contoso.local</c>, which match one or more labels under contoso.local but not
/// contoso.local itself) and under its <see cref="AppEntry.PathPrefix"/>, matched on segment boundaries
/// (<c>/app</c> matches <c>/app</c> and <c>/app/x</c>, not <c>/apple</c>) against the request's canonical
/// <see cref="RequestPath"/> (a path that is ambiguous matches no app). Host names compare
/// case-insensitively and the request's port is ignored; path prefixes compare case-insensitively too
/// (<see cref="RequestPath.FoldCase"/>), so a request cannot slip past an app's policies by changing the case
/// of its path on a case-insensitive upstream. When several apps match, the
/// most specific wins: an exact host beats a wildcard, a longer wildcard beats a shorter one, then the
/// longest path prefix; remaining ties go to the app listed first. An app without host names matches no
/// request by host (only by name, in what-if).
/// </summary>
public sealed class AppMatcher
{
    // Longer canonical paths are folded on the heap; real ones are far shorter.
    private const int StackFoldLength = 512;

    // Longer Host values are normalized on the heap; DNS names are at most 253 characters.
    private const int StackHostLength = 512;

    // An IP address's canonical form can be longer than its spelling ("127.1" is "127.0.0.1"): room for the longest.
    private const int MaxAddressLength = 46;

    private readonly Dictionary<string, AppEntry> _byName = new(ItemNames.Comparer);
    // Keys are normalized (lower-case), so ordinal compares suffice.
    private readonly Dictionary<string, Route[]> _exact = new(StringComparer.Ordinal);
    // The request's host is normalized on the stack and looked up as a span: no string per request.
    private readonly Dictionary<string, Route[]>.AlternateLookup<ReadOnlySpan<char>> _exactBySpan;
    private readonly WildcardRoute[] _wildcards;

    public AppMatcher(IEnumerable<AppEntry> apps)
    {
        var exact = new Dictionary<string, List<Route>>(StringComparer.Ordinal);
        var wildcards = new List<WildcardRoute>();
        int order = 0;
        foreach (AppEntry app in apps)
        {
            _byName.TryAdd(app.Name, app);
            string prefix = CanonicalPathPrefix(app);
            foreach (string hostname in app.Hostnames)
            {
                string host = NormalizeHost(hostname);
                if (host.StartsWith("*.", StringComparison.Ordinal))
                {
                    wildcards.Add(new WildcardRoute(host[1..], new Route(prefix, app, order)));
                }
                else if (host.Length > 0)
                {
                    if (!exact.TryGetValue(host, out List<Route>? routes))
                    {
                        exact[host] = routes = new List<Route>();
                    }

                    routes.Add(new Route(prefix, app, order));
                }
            }

            order++;
        }

        foreach ((string host, List<Route> routes) in exact)
        {
            _exact[host] = routes.OrderByDescending(r => r.Prefix.Length).ThenBy(r => r.Order).ToArray();
        }

        _exactBySpan = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcards = wildcards
            .OrderByDescending(w => w.Suffix.Length)
            .ThenByDescending(w => w.Route.Prefix.Length)
            .ThenBy(w => w.Route.Order)
            .ToArray();
    }

    /// <summary>The app with this name (case-insensitive), or null.</summary>
    public AppEntry? FindByName(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// The most specific app for a request's Host header (port ignored) and path (a request target: canonicalized
    /// with <see cref="RequestPath.TryParse"/>, the query ignored), or null, also when the path is ambiguous.
    /// </summary>
    public AppEntry? Find(string? host, string? path)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            return null;
        }

        // The gateway passes a path already in canonical form; that one is folded on the stack (its characters are
        // plain ASCII, so folding is lower-casing), so that deciding a request allocates nothing. Any other target
        // is canonicalized first.
        // Sized to the path: a stackalloc is zeroed, and clearing 512 characters for a path of ten showed in profiles.
        Span<char> folded = stackalloc char[path is null ? 0 : Math.Min(path.Length, StackFoldLength)];
        scoped ReadOnlySpan<char> normalizedPath;
        if (path is not null && path.Length <= StackFoldLength && RequestPath.IsCanonicalTarget(path))
        {
            Ascii.ToLower(path, folded, out int written);
            normalizedPath = folded[..written];
        }
        else if (RequestPath.TryParse(path, out RequestPath? requestPath, out _))
        {
            normalizedPath = RequestPath.FoldCase(requestPath.Value);
        }
        else
        {
            return null;
        }

        int hostLength = Math.Max(host.Length, MaxAddressLength);
        Span<char> hostBuffer = hostLength <= StackHostLength ? stackalloc char[hostLength] : new char[hostLength];
        ReadOnlySpan<char> normalizedHost = NormalizeHost(StripPort(host.AsSpan()), hostBuffer);

        if (_exactBySpan.TryGetValue(normalizedHost, out Route[]? routes))
        {
            foreach (Route route in routes)
            {
                if (PathMatches(route.Prefix, normalizedPath))
                {
                    return route.App;
                }
            }
        }

        foreach (WildcardRoute wildcard in _wildcards)
        {
            if (normalizedHost.Length > wildcard.Suffix.Length &&
                normalizedHost.EndsWith(wildcard.Suffix, StringComparison.Ordinal) &&
                normalizedHost[0] != '.' &&
                PathMatches(wildcard.Route.Prefix, normalizedPath))
            {
                return wildcard.Route.App;
            }
        }

        return null;
    }

    /// <summary>
    /// The form prefixes are compared in: case-folded (<see cref="RequestPath.FoldCase"/>), "/" stays "/", a trailing
    /// slash is dropped ("/App/" becomes "/app"). Meant for prefixes that pass <see cref="ConfigurationValidator.PathPrefixProblem(string?)"/>.
    /// </summary>
    public static string NormalizePathPrefix(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix) || prefix == "/")
        {
            return "/";
        }

        string trimmed = prefix.TrimEnd('/');
        return trimmed.Length == 0 ? "/" : RequestPath.FoldCase(trimmed);
    }

    /// <summary>
    /// Lower-case, without a trailing dot and without IPv6 brackets; an IP address in its one canonical form ("127.1",
    /// "0x7f.0.0.1" and "2130706433" are "127.0.0.1", "0:0::1" is "::1", no zone), the form System.Uri gives
    /// Test-CasbAccess, so that every spelling of an address reaches the app listed under any of its spellings.
    /// </summary>
    public static string NormalizeHost(string host)
    {
        char[] buffer = new char[Math.Max(host.Length, MaxAddressLength)];
        return new string(NormalizeHost(host, buffer));
    }

    /// <summary><see cref="NormalizeHost(string)"/> into <paramref name="buffer"/> (at least as long as <paramref name="host"/> and <see cref="MaxAddressLength"/>).</summary>
    private static ReadOnlySpan<char> NormalizeHost(ReadOnlySpan<char> host, Span<char> buffer)
    {
        ReadOnlySpan<char> h = host.Trim().TrimEnd('.');
        if (h.Length > 1 && h[0] == '[' && h[^1] == ']')
        {
            h = h[1..^1];
        }

        int written = h.ToLowerInvariant(buffer);
        ReadOnlySpan<char> normalized = buffer[..written];
        if (normalized.IsEmpty || !(char.IsAsciiDigit(normalized[0]) || normalized.Contains(':')) || IsCanonicalIPv4(normalized) ||
            !IPAddress.TryParse(normalized, out IPAddress? address))
        {
            return normalized;
        }

        // A zone ("fe80::1%eth0") names the sender's interface, not the host: Kestrel refuses it in Host anyway.
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            address.ScopeId = 0;
        }

        return address.TryFormat(buffer, out written) ? buffer[..written] : normalized;
    }

    // "10.0.0.5" as most clients send it is already canonical: no IPAddress to parse it into (it would allocate per request).
    private static bool IsCanonicalIPv4(ReadOnlySpan<char> host)
    {
        int parts = 0;
        foreach (Range range in host.Split('.'))
        {
            ReadOnlySpan<char> part = host[range];
            if (++parts > 4 || part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !int.TryParse(part, System.Globalization.NumberStyles.None, null, out int value) || value > 255)
            {
                return false;
            }
        }

        return parts == 4;
    }

    /// <summary>Removes the port from a Host header value: "a:8443" -> "a", "[::1]:8443" -> "[::1]", "::1" stays.</summary>
    public static string StripPort(string host) => new(StripPort(host.AsSpan()));

    private static ReadOnlySpan<char> StripPort(ReadOnlySpan<char> host)
    {
        ReadOnlySpan<char> h = host.Trim();
        if (h.StartsWith('['))
        {
            int close = h.IndexOf(']');
            return close > 0 ? h[..(close + 1)] : h;
        }

        int colon = h.IndexOf(':');
        if (colon >= 0 && colon == h.LastIndexOf(':'))
        {
            return h[..colon];
        }

        // Several colons without brackets: a bare IPv6 address, which has no port.
        return h;
    }

    /// <summary>
    /// A stored prefix the validator would refuse (an escaped one, say, in a store written before the rule) stops the
    /// compile: matching it in some other form could disagree with what the gateway would do once it is fixed.
    /// </summary>
    private static string CanonicalPathPrefix(AppEntry app)
    {
        if (ConfigurationValidator.PathPrefixProblem(app.PathPrefix, out string errorId) is { } problem)
        {
            throw new CasbException(
                errorId, CasbErrorKind.InvalidData,
                $"App '{app.Name}': the path prefix '{app.PathPrefix}' is invalid: {problem}. Correct it with Set-CasbApp -Name '{app.Name}' -PathPrefix.",
                app.Name);
        }

        return NormalizePathPrefix(app.PathPrefix);
    }

    /// <summary>
    /// Where one app takes requests another app names more precisely, for warnings when an app is added or changed: a
    /// host of app A beats a wildcard of app B that covers it (an exact host beats a wildcard, a longer wildcard a
    /// shorter one) before path prefixes are compared, so when B's prefix lies under A's, B's requests on that host
    /// reach A, and B's policies do not apply there ("portal.contoso.local" on "/" takes "/admin" from
    /// "*.contoso.local" on "/admin"). Only pairs that involve <paramref name="appName"/>.
    /// </summary>
    public static IReadOnlyList<AppShadow> Shadows(IReadOnlyList<AppEntry> apps, string appName)
    {
        var routes = new List<(string Host, string Prefix, AppEntry App)>();
        foreach (AppEntry app in apps)
        {
            if (ConfigurationValidator.PathPrefixProblem(app.PathPrefix, out _) is not null)
            {
                continue;
            }

            foreach (string hostname in app.Hostnames)
            {
                routes.Add((NormalizeHost(hostname), NormalizePathPrefix(app.PathPrefix), app));
            }
        }

        var matcher = new AppMatcher(apps);
        var shadows = new List<AppShadow>();
        foreach ((string winnerHost, string winnerPrefix, AppEntry winner) in routes)
        {
            foreach ((string loserHost, string loserPrefix, AppEntry loser) in routes)
            {
                // The candidates, then the matcher itself on a host of the winner's: a third app on the same host and the
                // loser's prefix takes those requests on purpose, and is no shadow.
                if (!ReferenceEquals(winner, loser)
                    && (ItemNames.IsSame(winner.Name, appName) || ItemNames.IsSame(loser.Name, appName))
                    && loserHost.StartsWith("*.", StringComparison.Ordinal) && HostCovers(loserHost[1..], winnerHost)
                    && loserPrefix.Length > winnerPrefix.Length && PathMatches(winnerPrefix, loserPrefix)
                    && ReferenceEquals(matcher.Find(Probe(winnerHost), loserPrefix), winner))
                {
                    shadows.Add(new AppShadow(winner, winnerHost, winnerPrefix, loser, loserHost, loserPrefix));
                }
            }
        }

        return shadows;

        // A host a route answers on: itself, or a name under a wildcard.
        static string Probe(string host) => host.StartsWith("*.", StringComparison.Ordinal) ? "casb-probe" + host[1..] : host;

        // A wildcard's suffix (".contoso.local") covers a host, or a longer wildcard, strictly under it.
        static bool HostCovers(string suffix, string host)
        {
            string name = host.StartsWith("*.", StringComparison.Ordinal) ? host[1..] : host;
            return name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal);
        }
    }

    // RequestPath.IsUnder over a span: the folded path may live on the stack.
    private static bool PathMatches(string prefix, ReadOnlySpan<char> path) =>
        prefix == "/" ||
        (path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/'));

    private readonly record struct Route(string Prefix, AppEntry App, int Order);

    /// <summary>App <paramref name="Winner"/>'s host and prefix take the requests for <paramref name="LoserPrefix"/> that <paramref name="Loser"/>'s wildcard names (host names and prefixes as compared).</summary>
    public readonly record struct AppShadow(AppEntry Winner, string WinnerHost, string WinnerPrefix, AppEntry Loser, string LoserHost, string LoserPrefix);

    private readonly record struct WildcardRoute(string Suffix, Route Route);
}
