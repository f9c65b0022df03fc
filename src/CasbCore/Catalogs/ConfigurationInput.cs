using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore.Catalogs;

/// <summary>
/// Turns what an admin types into what the store keeps (canonical device tags, lower-case host names, names as
/// stored), refusing bad input with the same error ids as <see cref="ConfigurationValidator"/>, which still checks
/// the whole configuration before every write. The catalogs call these inside a change; cmdlets may call them
/// first so that a bad argument fails before -WhatIf or -Confirm.
/// </summary>
public static class ConfigurationInput
{
    /// <summary>An upstream must be an absolute http or https URI; returned as its absolute form.</summary>
    public static string Upstream(Uri upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        if (!upstream.IsAbsoluteUri || !ConfigurationValidator.IsUpstream(upstream.AbsoluteUri))
        {
            throw new CasbException(
                "InvalidUpstream", CasbErrorKind.InvalidArgument,
                $"The upstream '{upstream.OriginalString}' is not an absolute http:// or https:// URI (for example https://portal.contoso.local).",
                upstream.OriginalString);
        }

        if (ConfigurationValidator.UpstreamPartProblem(upstream) is { } problem)
        {
            throw new CasbException(
                "InvalidUpstream", CasbErrorKind.InvalidArgument,
                $"The upstream {problem} (for example https://portal.contoso.local/app).",
                upstream.UserInfo.Length > 0 ? null : upstream.OriginalString);
        }

        return upstream.AbsoluteUri;
    }

    /// <summary>The same rule for an upstream already in text form (an entry built by hand or by an import).</summary>
    public static string Upstream(string? upstream)
    {
        if (Uri.TryCreate(upstream, UriKind.Absolute, out Uri? uri))
        {
            return Upstream(uri);
        }

        throw new CasbException(
            "InvalidUpstream", CasbErrorKind.InvalidArgument,
            $"The upstream '{upstream}' is not an absolute http:// or https:// URI (for example https://portal.contoso.local).",
            upstream);
    }

    /// <summary>Host names, optionally with a leading "*." wildcard (the validator's rules); returned lower-case (an IP address in its canonical form) and de-duplicated.</summary>
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

            // As the matcher compares it (lower case, an IPv6 address canonical), so the store shows one spelling and two spellings are one.
            string hostname = AppMatcher.NormalizeHost(raw);
            if (!result.Contains(hostname, StringComparer.Ordinal))
            {
                result.Add(hostname);
            }
        }

        return result;
    }

    /// <summary>A path prefix starts with '/' and is written decoded (the validator's rules and error ids).</summary>
    public static string PathPrefix(string? prefix)
    {
        string? problem = ConfigurationValidator.PathPrefixProblem(prefix, out string errorId);
        if (problem is not null)
        {
            throw new CasbException(
                errorId, CasbErrorKind.InvalidArgument, $"The path prefix '{prefix}' is invalid: {problem} (for example /portal).", prefix);
        }

        return prefix!;
    }

    /// <summary>Device tags by display name or compact alias; returned canonical.</summary>
    public static List<string> DeviceTags(IEnumerable<string> tags)
    {
        var result = new List<string>();
        foreach (string tag in tags)
        {
            string canonical = Certificates.DeviceTags.Normalize(tag ?? "")
                ?? throw new CasbException(
                    "UnknownDeviceTag", CasbErrorKind.InvalidArgument,
                    $"'{tag}' is not a device tag. Known tags: {string.Join(", ", Certificates.DeviceTags.Known.Select(t => $"'{t}'"))}.", tag);
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
            if (!Policies.IPRanges.TryParse(raw, out _, out string? error))
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

    /// <summary>Trusted sign-in proxies: addresses or CIDR ranges (the engine's parser), de-duplicated.</summary>
    public static List<string> TrustedProxies(IEnumerable<string> proxies)
    {
        var result = new List<string>();
        foreach (string proxy in proxies)
        {
            if (!Policies.IPRanges.TryParse(proxy, out _, out string? why))
            {
                throw new CasbException(
                    "InvalidTrustedProxy", CasbErrorKind.InvalidArgument,
                    $"'{proxy}' is not an IP address or CIDR range (for example 10.0.0.5 or 10.1.0.0/16): {why}.", proxy);
            }

            if (!result.Contains(proxy, StringComparer.OrdinalIgnoreCase))
            {
                result.Add(proxy);
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

    /// <summary>A policy's included users (conditional-access, access or session policy); "all" in any case is stored as the engine's "All", everyone.</summary>
    public static List<string> IncludeUsers(IEnumerable<string> users) =>
        Users(users)
            .Select(u => ItemNames.IsSame(u, CompiledConditionalAccessPolicy.AllUsers) ? CompiledConditionalAccessPolicy.AllUsers : u)
            .ToList();

    /// <summary>The error id of a user name that cannot be one: empty, or "All" among the excluded users.</summary>
    public const string InvalidUserErrorId = "InvalidUser";

    internal const string ExcludesEveryone =
        "excludes 'All', every user: it would never apply. To stop a policy, turn it off (Set-CasbConditionalAccessPolicy -State Off, Disable-CasbAccessPolicy, Disable-CasbSessionPolicy).";

    /// <summary>
    /// A policy's excluded users: <see cref="Users"/>, without "All". Included, "All" is everyone; excluded it would make a
    /// policy that never applies (exclude beats include), and as a user named All it would mean what no admin wrote.
    /// </summary>
    public static List<string> ExcludeUsers(IEnumerable<string> users)
    {
        List<string> result = Users(users);
        if (result.Exists(CompiledConditionalAccessPolicy.IsAllUsers))
        {
            throw new CasbException(InvalidUserErrorId, CasbErrorKind.InvalidArgument, "The policy " + ExcludesEveryone, "All");
        }

        return result;
    }

    /// <summary>
    /// User names in canonical form (<see cref="SignIn.UserNames.Canonical"/>), de-duplicated as names compare. A name with a
    /// control, bidi or lone surrogate character is InvalidName (<see cref="ItemNames.ThrowIfUnfit"/>): stored, it would match nobody.
    /// </summary>
    public static List<string> Users(IEnumerable<string> users) => Users(users, refuseUnfit: true);

    /// <summary>
    /// <see cref="Users(IEnumerable{string})"/>; with <paramref name="refuseUnfit"/> false a name <see cref="ItemNames.CharacterProblem"/>
    /// refuses is kept, so that Remove-CasbGroupMember can take out a member a store written before that rule holds.
    /// </summary>
    public static List<string> Users(IEnumerable<string> users, bool refuseUnfit)
    {
        var result = new List<string>();
        foreach (string user in users)
        {
            if (refuseUnfit)
            {
                ItemNames.ThrowIfUnfit(user ?? "", "The user name");
            }

            string trimmed = SignIn.UserNames.Canonical(user ?? "");
            if (trimmed.Length == 0)
            {
                throw new CasbException(InvalidUserErrorId, CasbErrorKind.InvalidArgument, "A user name is empty.", user);
            }

            if (!result.Contains(trimmed, SignIn.UserNames.Comparer))
            {
                result.Add(trimmed);
            }
        }

        return result;
    }

    /// <summary>User-agent substrings, de-duplicated case-insensitively (empty ones mean nothing and are dropped).</summary>
    public static List<string> UserAgentFragments(IEnumerable<string> fragments) =>
        fragments.Where(f => !string.IsNullOrEmpty(f)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>File extensions as a session policy compares them: without the dot, lower-case, de-duplicated ("DOCX", ".docx" -> "docx").</summary>
    public static List<string> FileExtensions(IEnumerable<string> extensions)
    {
        var result = new List<string>();
        foreach (string raw in extensions)
        {
            string? problem = FileExtensionProblem(raw);
            if (problem is not null)
            {
                throw new CasbException(
                    "InvalidFileExtension", CasbErrorKind.InvalidArgument,
                    $"'{raw}' is not a file extension ({problem}); for example docx or .pdf.", raw);
            }

            string extension = NormalizeFileExtension(raw);
            if (!result.Contains(extension, StringComparer.Ordinal))
            {
                result.Add(extension);
            }
        }

        return result;
    }

    /// <summary>The canonical form of an extension: trimmed, without a leading dot, lower-case.</summary>
    public static string NormalizeFileExtension(string extension) => extension.Trim().TrimStart('.').ToLowerInvariant();

    /// <summary>Null when <paramref name="extension"/> is one (the last dot-separated part of a file name), else why not.</summary>
    public static string? FileExtensionProblem(string? extension)
    {
        string normalized = NormalizeFileExtension(extension ?? "");
        if (normalized.Length == 0)
        {
            return "it is empty";
        }

        if (normalized.Length > 32)
        {
            return "it is longer than 32 characters";
        }

        // Only the part after a file name's last dot is compared, so "tar.gz" could never match: say so.
        return normalized.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '~' or '+')
            ? null
            : "only letters, digits, '-', '_', '~' and '+' after the dot; the part after the last dot of a file name is compared";
    }

    /// <summary>A minimum file size in MiB: null (any size) or 0 and more.</summary>
    public static int? MinFileSizeMB(int? megabytes) =>
        megabytes is < 0
            ? throw new CasbException("InvalidFileSize", CasbErrorKind.InvalidArgument, $"The minimum file size {megabytes} MB is negative.", megabytes)
            : megabytes;

    private static List<string> Resolve(IEnumerable<string> names, IEnumerable<string> known, Func<string, CasbException> unknown)
    {
        string[] knownNames = known.ToArray();
        var result = new List<string>();
        foreach (string name in names)
        {
            string stored = knownNames.FirstOrDefault(k => ItemNames.IsSame(k, name?.Trim()))
                ?? throw unknown(name ?? "");
            if (!result.Contains(stored, StringComparer.Ordinal))
            {
                result.Add(stored);
            }
        }

        return result;
    }
}
