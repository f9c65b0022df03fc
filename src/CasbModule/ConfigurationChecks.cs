using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbModule;

/// <summary>
/// The checks a user expects the moment a cmdlet runs, with the same error ids as the engine's
/// ConfigurationValidator (which still runs on the whole configuration before every write).
/// </summary>
internal static class ConfigurationChecks
{
    /// <summary>An upstream must be an absolute http or https URI.</summary>
    public static string Upstream(Uri upstream)
    {
        if (!upstream.IsAbsoluteUri || !ConfigurationValidator.IsUpstream(upstream.AbsoluteUri))
        {
            throw new CasbException(
                "InvalidUpstream", CasbErrorKind.InvalidArgument,
                $"The upstream '{upstream.OriginalString}' is not an absolute http:// or https:// URI (for example https://portal.contoso.local).",
                upstream.OriginalString);
        }

        return upstream.AbsoluteUri;
    }

    /// <summary>Host names, optionally with a leading "*." wildcard (the validator's rules); returned lower-case and de-duplicated.</summary>
    public static List<string> Hostnames(IEnumerable<string> hostnames)
    {
        var result = new List<string>();
        foreach (string raw in hostnames)
        {
            string? problem = ConfigurationValidator.HostnameProblem(raw);
            if (problem is not null)
            {
                throw new CasbException(
                    "InvalidHostname", CasbErrorKind.InvalidArgument,
                    $"'{raw}' is not a host name ({problem}); for example portal.contoso.local or *.contoso.local.", raw);
            }

            string hostname = raw.Trim().TrimEnd('.').ToLowerInvariant();
            if (!result.Contains(hostname, StringComparer.Ordinal))
            {
                result.Add(hostname);
            }
        }

        return result;
    }

    /// <summary>A path prefix starts with '/' and is written decoded (the validator's rules and error ids).</summary>
    public static string PathPrefix(string prefix)
    {
        string? problem = ConfigurationValidator.PathPrefixProblem(prefix, out string errorId);
        if (problem is not null)
        {
            throw new CasbException(
                errorId, CasbErrorKind.InvalidArgument, $"The path prefix '{prefix}' is invalid: {problem} (for example /portal).", prefix);
        }

        return prefix;
    }

    /// <summary>Device tags by display name or compact alias; returned canonical.</summary>
    public static List<string> DeviceTags(IEnumerable<string> tags)
    {
        var result = new List<string>();
        foreach (string tag in tags)
        {
            string canonical = CasbCore.Certificates.DeviceTags.Normalize(tag ?? "")
                ?? throw new CasbException(
                    "UnknownDeviceTag", CasbErrorKind.InvalidArgument,
                    $"'{tag}' is not a device tag. Known tags: {string.Join(", ", CasbCore.Certificates.DeviceTags.Known.Select(t => $"'{t}'"))}.", tag);
            if (!result.Contains(canonical))
            {
                result.Add(canonical);
            }
        }

        return result;
    }

    /// <summary>IP addresses or CIDR ranges, IPv4 or IPv6 (the engine's parser, so what is accepted here is what matches there).</summary>
    public static List<string> IPRanges(IEnumerable<string> ranges)
    {
        var result = new List<string>();
        foreach (string raw in ranges)
        {
            if (!CasbCore.Policies.IPRanges.TryParse(raw, out _, out string? error))
            {
                throw new CasbException(
                    "InvalidIPRange", CasbErrorKind.InvalidArgument,
                    $"'{raw}' is not an IP address or CIDR range: {error} (for example 203.0.113.0/24 or 2001:db8::/32).", raw);
            }

            string range = raw.Trim();
            if (!result.Contains(range, StringComparer.OrdinalIgnoreCase))
            {
                result.Add(range);
            }
        }

        return result;
    }

    /// <summary>App names resolved against the configuration (case-insensitive), returned as stored.</summary>
    public static List<string> Apps(CasbConfiguration configuration, IEnumerable<string> names, string policyName) =>
        Resolve(names, configuration.Apps.Select(a => a.Name), name => new CasbException(
            "UnknownApp", CasbErrorKind.ObjectNotFound,
            $"The policy '{policyName}' names the app '{name}', which is not in the store. Add it first with Add-CasbApp.", name));

    /// <summary>Group names resolved against the configuration (case-insensitive), returned as stored.</summary>
    public static List<string> Groups(CasbConfiguration configuration, IEnumerable<string> names, string policyName) =>
        Resolve(names, configuration.Groups.Select(g => g.Name), name => new CasbException(
            "UnknownGroup", CasbErrorKind.ObjectNotFound,
            $"The policy '{policyName}' names the group '{name}', which is not in the store. Create it first with New-CasbGroup.", name));

    /// <summary>A conditional-access policy's included users; "all" in any case is stored as the engine's "All".</summary>
    public static List<string> IncludeUsers(IEnumerable<string> users) =>
        Users(users).Select(u => string.Equals(u, AllUsers, StringComparison.OrdinalIgnoreCase) ? AllUsers : u).ToList();

    /// <summary>The engine's word for everyone (CompiledConditionalAccessPolicy.AllUsers, which is internal to CasbCore).</summary>
    private const string AllUsers = "All";

    /// <summary>User names, trimmed and de-duplicated case-insensitively.</summary>
    public static List<string> Users(IEnumerable<string> users)
    {
        var result = new List<string>();
        foreach (string user in users)
        {
            string trimmed = (user ?? "").Trim();
            if (trimmed.Length == 0)
            {
                throw new CasbException("InvalidUser", CasbErrorKind.InvalidArgument, "A user name is empty.", user);
            }

            if (!result.Contains(trimmed, StringComparer.OrdinalIgnoreCase))
            {
                result.Add(trimmed);
            }
        }

        return result;
    }

    private static List<string> Resolve(IEnumerable<string> names, IEnumerable<string> known, Func<string, CasbException> unknown)
    {
        string[] knownNames = known.ToArray();
        var result = new List<string>();
        foreach (string name in names)
        {
            string stored = knownNames.FirstOrDefault(k => string.Equals(k, name?.Trim(), StringComparison.OrdinalIgnoreCase))
                ?? throw unknown(name ?? "");
            if (!result.Contains(stored, StringComparer.Ordinal))
            {
                result.Add(stored);
            }
        }

        return result;
    }
}
