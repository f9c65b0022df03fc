using System.Net;
using System.Net.Sockets;
using System.Text;
using CasbCore.Certificates;
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
/// InvalidUpstream (not an absolute http or https URI), InvalidPathPrefix, EscapedPathPrefix (a path prefix written
/// with %-escapes: prefixes are written decoded, see <see cref="PathPrefixProblem(string?, out string)"/>),
/// UnknownDeviceTag, InvalidTrustedProxy.</para>
/// </summary>
public static class ConfigurationValidator
{
    public static IReadOnlyList<ConfigurationProblem> Validate(CasbConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<ConfigurationProblem>();
        void Add(string id, string item, string message) => problems.Add(new ConfigurationProblem(id, item, message));

        HashSet<string> apps = Names(configuration.Apps.Select(a => a.Name), "app", problems);
        HashSet<string> groups = Names(configuration.Groups.Select(g => g.Name), "group", problems);
        Names(configuration.ConditionalAccessPolicies.Select(p => p.Name), "conditional access policy", problems);
        Names(configuration.AccessPolicies.Select(p => p.Name), "access policy", problems);

        var routes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (AppEntry app in configuration.Apps)
        {
            string what = $"App '{app.Name}'";
            if (!IsUpstream(app.Upstream))
            {
                Add("InvalidUpstream", app.Name, $"{what}: the upstream '{app.Upstream}' is not an absolute http:// or https:// URI.");
            }

            string? pathProblem = PathPrefixProblem(app.PathPrefix, out string pathErrorId);
            if (pathProblem is not null)
            {
                Add(pathErrorId, app.Name, $"{what}: the path prefix '{app.PathPrefix}' is invalid: {pathProblem}. Correct it with Set-CasbApp -Name '{app.Name}' -PathPrefix.");
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

        foreach (ConditionalAccessPolicyEntry policy in configuration.ConditionalAccessPolicies)
        {
            string what = $"Conditional access policy '{policy.Name}'";
            References(policy.Name, what, policy.Apps, apps, "UnknownApp", "app", problems);
            References(policy.Name, what, policy.IncludeGroups.Concat(policy.ExcludeGroups), groups, "UnknownGroup", "group", problems);
        }

        foreach (AccessPolicyEntry policy in configuration.AccessPolicies)
        {
            string what = $"Access policy '{policy.Name}'";
            References(policy.Name, what, policy.Apps, apps, "UnknownApp", "app", problems);
            References(policy.Name, what, policy.Groups.Concat(policy.ExcludeGroups), groups, "UnknownGroup", "group", problems);
            foreach (string range in policy.IPRanges)
            {
                if (!IPRanges.TryParse(range, out _, out string? error))
                {
                    Add("InvalidIPRange", policy.Name, $"{what}: the IP range '{range}' is invalid: {error}.");
                }
            }

            foreach (string tag in policy.DeviceTags)
            {
                if (tag is null || DeviceTags.Normalize(tag) is null)
                {
                    Add("UnknownDeviceTag", policy.Name,
                        $"{what}: the device tag '{tag}' is not known (known: {string.Join(", ", DeviceTags.Known.Select(k => $"'{k}'"))}).");
                }
            }
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
    public static string? PathPrefixProblem(string? prefix) => PathPrefixProblem(prefix, out _);

    /// <summary>
    /// Null when <paramref name="prefix"/> is a valid path prefix, else why not, with the error id: EscapedPathPrefix
    /// for a prefix with %-escapes, InvalidPathPrefix for anything else. A valid prefix is printable ASCII and its own
    /// canonical <see cref="RequestPath"/> (a trailing '/' aside): written decoded, as the gateway matches it
    /// ("/q3 reports" is refused for its space, "/q3%20reports" for its escape), with none of what makes a request path ambiguous.
    /// </summary>
    public static string? PathPrefixProblem(string? prefix, out string errorId)
    {
        errorId = "InvalidPathPrefix";
        if (string.IsNullOrEmpty(prefix) || prefix[0] != '/')
        {
            return "it must start with '/'";
        }

        if (prefix.Contains('%'))
        {
            // Matching is on decoded paths, so "/a%2Fb" could never match as written and "/a%20b" would only look
            // as if it did; refused rather than decoded so that no stored prefix silently changes meaning.
            errorId = "EscapedPathPrefix";
            return "it contains a %-escape; write it decoded, as the gateway matches decoded paths (for example '/~user' " +
                "rather than '/%7Euser'); an escaped '/' (%2F) cannot be part of a prefix";
        }

        if (prefix.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '?' or '#' or '\\' or '*'))
        {
            return "it must not contain white space, '?', '#', '\\' or '*'";
        }

        if (!Ascii.IsValid(prefix))
        {
            // "é" is also "e" + U+0301 and servers normalize differently, so a non-ASCII prefix could be reached under a
            // spelling it does not match; an ASCII prefix has one spelling (case aside, which matching folds).
            return "it must be ASCII: a non-ASCII letter has several spellings (composed, decomposed) that servers normalize differently; " +
                "protect the nearest ASCII parent path instead";
        }

        if (prefix.Contains("//", StringComparison.Ordinal) ||
            prefix.Split('/').Any(segment => segment is "." or ".."))
        {
            return "it must not contain empty, '.' or '..' segments";
        }

        if (!RequestPath.TryParse(prefix, out RequestPath? canonical, out string? problem))
        {
            return problem;
        }

        // Belt and braces: whatever passes above must be its own canonical form, or it could never match as written.
        return canonical.Value.TrimEnd('/') == prefix.TrimEnd('/') ? null : $"it is not in canonical form (canonical: '{canonical.Value}')";
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

    private static void References(
        string item,
        string what,
        IEnumerable<string> references,
        HashSet<string> existing,
        string errorId,
        string kind,
        List<ConfigurationProblem> problems)
    {
        foreach (string reference in references)
        {
            if (!existing.Contains(reference))
            {
                problems.Add(new ConfigurationProblem(errorId, item, $"{what} refers to {kind} '{reference}', which does not exist."));
            }
        }
    }
}
