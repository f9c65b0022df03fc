using System.Net;
using System.Net.Sockets;
using CasbCore.Catalogs;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>One thing wrong with a configuration, with a stable error id and the item it concerns.</summary>
public sealed record ConfigurationProblem(string ErrorId, string Item, string Message);

/// <summary>
/// Checks a whole configuration for consistency (names unique, references resolve, ranges and patterns parse).
/// Cmdlets run it before a write (so nothing invalid is stored), Import-CasbConfiguration before a merge, and
/// the gateway before it swaps in a new revision (a broken one is refused and the last good one keeps serving).
/// <para>Error ids (API): InvalidName (an empty name), DuplicateName (apps, groups, conditional-access policies,
/// access policies; case-insensitive, per kind), UnknownApp, UnknownGroup (a policy names one that does not
/// exist), InvalidIPRange, InvalidHostname, DuplicateRoute (two apps on the same host name and path prefix),
/// InvalidUpstream (not an absolute http or https URI), InvalidPathPrefix, UnknownDeviceTag,
/// InvalidTrustedProxy.</para>
/// </summary>
public static class ConfigurationValidator
{
    public static IReadOnlyList<ConfigurationProblem> Validate(CasbConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<ConfigurationProblem>();
        void Add(string id, string item, string message) => problems.Add(new ConfigurationProblem(id, item, message));

        var names = new Dictionary<ConfigurationItemKind, HashSet<string>>();
        foreach (ConfigurationItemKind kind in ConfigurationItems.All.Where(k => k.IsNamed))
        {
            names[kind] = Names(kind.Keys(configuration), kind.Display, problems);
        }

        HashSet<string> apps = names[ConfigurationItems.Apps];
        HashSet<string> groups = names[ConfigurationItems.Groups];

        var routes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (AppEntry app in configuration.Apps)
        {
            string what = $"App '{app.Name}'";
            if (!IsUpstream(app.Upstream))
            {
                Add("InvalidUpstream", app.Name, $"{what}: the upstream '{app.Upstream}' is not an absolute http:// or https:// URI.");
            }

            string? pathProblem = PathPrefixProblem(app.PathPrefix);
            if (pathProblem is not null)
            {
                Add("InvalidPathPrefix", app.Name, $"{what}: the path prefix '{app.PathPrefix}' is invalid: {pathProblem}.");
            }

            foreach (string hostname in app.Hostnames)
            {
                string? hostProblem = HostnameProblem(hostname);
                if (hostProblem is not null)
                {
                    Add("InvalidHostname", app.Name, $"{what}: the host name '{hostname}' is invalid: {hostProblem}.");
                    continue;
                }

                if (pathProblem is null)
                {
                    string route = AppMatcher.NormalizeHost(hostname) + AppMatcher.NormalizePathPrefix(app.PathPrefix);
                    if (routes.TryGetValue(route, out string? other) && !string.Equals(other, app.Name, StringComparison.OrdinalIgnoreCase))
                    {
                        Add("DuplicateRoute", app.Name, $"{what}: host name '{hostname}' with path prefix '{app.PathPrefix}' is already used by app '{other}'.");
                    }
                    else
                    {
                        routes.TryAdd(route, app.Name);
                    }
                }
            }
        }

        // Each kind's references to apps and groups, and its filters (ConfigurationItems says which).
        foreach (ConfigurationItemKind kind in ConfigurationItems.All)
        {
            kind.Validate(configuration, apps, groups, problems);
        }

        foreach (string proxy in configuration.Settings.TrustedProxies)
        {
            if (!IPRanges.TryParse(proxy, out _, out string? error))
            {
                Add("InvalidTrustedProxy", proxy ?? "", $"The trusted proxy '{proxy}' is invalid: {error}.");
            }
        }

        return problems;
    }

    /// <summary>Throws a <see cref="CasbException"/> carrying the first problem's error id when the configuration is invalid.</summary>
    public static void ThrowIfInvalid(CasbConfiguration configuration)
    {
        IReadOnlyList<ConfigurationProblem> problems = Validate(configuration);
        if (problems.Count > 0)
        {
            ConfigurationProblem first = problems[0];
            string all = string.Join(" ", problems.Select(p => p.Message));
            throw new CasbException(first.ErrorId, CasbErrorKind.InvalidData, all, first.Item);
        }
    }

    /// <summary>True when <paramref name="upstream"/> is an absolute http:// or https:// URI with a host.</summary>
    public static bool IsUpstream(string? upstream) =>
        Uri.TryCreate(upstream, UriKind.Absolute, out Uri? uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && !string.IsNullOrEmpty(uri.Host);

    /// <summary>
    /// Null when <paramref name="hostname"/> is a valid app host name, else why not. Accepted: a DNS name
    /// (labels of letters, digits and hyphens, not starting or ending with a hyphen, at most 63 characters each,
    /// 253 in all), a wildcard "*." followed by such a name, an IPv4 address, or an IPv6 address (brackets optional).
    /// No port, scheme or path.
    /// </summary>
    public static string? HostnameProblem(string? hostname)
    {
        if (string.IsNullOrWhiteSpace(hostname))
        {
            return "it is empty";
        }

        string host = hostname.Trim();
        if (host.Contains("://", StringComparison.Ordinal) || host.Contains('/'))
        {
            return "give the host name only, without a scheme or path";
        }

        string unbracketed = host.Length > 1 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        if (IPAddress.TryParse(unbracketed, out IPAddress? address) &&
            (address.AddressFamily == AddressFamily.InterNetworkV6 || unbracketed.Count(c => c == '.') == 3))
        {
            return null;
        }

        if (host.Contains(':'))
        {
            return "a host name does not carry a port (the port is ignored when matching)";
        }

        string name = host.TrimEnd('.');
        if (name.StartsWith("*.", StringComparison.Ordinal))
        {
            name = name[2..];
        }
        else if (name.Contains('*'))
        {
            return "a wildcard is allowed only as the whole first label, as in *.contoso.local";
        }

        if (name.Length is 0 or > 253)
        {
            return "a host name has 1 to 253 characters";
        }

        foreach (string label in name.Split('.'))
        {
            if (label.Length is 0 or > 63)
            {
                return $"the label '{label}' must have 1 to 63 characters";
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                return $"the label '{label}' starts or ends with a hyphen";
            }

            foreach (char c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return $"the label '{label}' contains '{c}' (only letters, digits and hyphens are allowed)";
                }
            }
        }

        return null;
    }

    /// <summary>Null when <paramref name="prefix"/> is a valid path prefix ("/", "/app", "/app/v2/"), else why not.</summary>
    public static string? PathPrefixProblem(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix) || prefix[0] != '/')
        {
            return "it must start with '/'";
        }

        if (prefix.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '?' or '#' or '\\' or '*'))
        {
            return "it must not contain white space, '?', '#', '\\' or '*'";
        }

        if (prefix.Contains("//", StringComparison.Ordinal) ||
            prefix.Split('/').Any(segment => segment is "." or ".."))
        {
            return "it must not contain empty, '.' or '..' segments";
        }

        return null;
    }

    private static HashSet<string> Names(IEnumerable<string> names, string kind, List<ConfigurationProblem> problems)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                problems.Add(new ConfigurationProblem("InvalidName", name ?? "", $"A {kind} has an empty name."));
            }
            else if (!seen.Add(name))
            {
                problems.Add(new ConfigurationProblem("DuplicateName", name, $"There is more than one {kind} named '{name}' (names are case-insensitive)."));
            }
        }

        return seen;
    }
}
