using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using CasbCore.Catalogs;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// One thing wrong with a configuration, with a stable error id and the item it concerns; <paramref name="Kind"/> is how a
/// refusal reports it (InvalidArgument for a name: the same category whether a cmdlet or an import file brought it).
/// </summary>
public sealed record ConfigurationProblem(string ErrorId, string Item, string Message, CasbErrorKind Kind = CasbErrorKind.InvalidData);

/// <summary>
/// Checks a whole configuration for consistency (names unique, references resolve, ranges and patterns parse).
/// Cmdlets run it before a write (so nothing invalid is stored), Import-CasbConfiguration before a merge, and
/// the gateway before it swaps in a new revision (a broken one is refused and the last good one keeps serving).
/// <para>Error ids (API): InvalidName (an empty name, one with a control or bidi character that
/// <see cref="DisplayText"/> would have to escape or a lone surrogate (<see cref="ItemNames.CharacterProblem"/>: item names,
/// and the user names of policies and group members), or one with white space at either end: names are stored trimmed,
/// see <see cref="ItemNames"/>), DuplicateName (apps, groups, conditional-access policies,
/// access policies; case-insensitive, per kind), UnknownApp, UnknownGroup (a policy names one that does not
/// exist), InvalidIPRange, InvalidHostname, DuplicateRoute (two apps on the same host name and path prefix),
/// InvalidUpstream (not an absolute http or https URI, or one that would show a control or bidi character),
/// InvalidPathPrefix, EscapedPathPrefix (a path prefix written with %-escapes: prefixes are written decoded, see
/// <see cref="PathPrefixProblem(string?, out string)"/>), UnknownDeviceTag, InvalidTrustedProxy, InvalidIdentityHeader
/// (see <see cref="IdentityHeaderProblem"/>), InvalidBlockPageDetail, InvalidActivityVolume, and the identity provider's (<see cref="SignIn.IdentityProviderRules"/>).</para>
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
            else if (UpstreamPartProblem(new Uri(app.Upstream)) is { } partProblem)
            {
                Add("InvalidUpstream", app.Name, $"{what}: the upstream {partProblem}.");
            }
            else if (!DisplayText.IsSafe(app.Upstream) || !DisplayText.IsSafe(new Uri(app.Upstream).ToString()))
            {
                // Uri.ToString() un-escapes percent-encoded bidi controls: what the admin is shown must be what is stored.
                Add("InvalidUpstream", app.Name, $"{what}: the upstream '{app.Upstream}' contains a control or bidi character (also percent-encoded).");
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
                    if (routes.TryGetValue(route, out string? other) && !ItemNames.IsSame(other, app.Name))
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

        string? identityHeaderProblem = IdentityHeaderProblem(configuration.Settings.IdentityHeader);
        if (identityHeaderProblem is not null)
        {
            Add("InvalidIdentityHeader", configuration.Settings.IdentityHeader ?? "",
                $"The identity header '{configuration.Settings.IdentityHeader}' cannot be used: {identityHeaderProblem}.");
        }

        foreach (string proxy in configuration.Settings.TrustedProxies)
        {
            if (!IPRanges.TryParse(proxy, out _, out string? error))
            {
                Add("InvalidTrustedProxy", proxy ?? "", $"The trusted proxy '{proxy}' is invalid: {error}.");
            }
        }

        if (!Enum.IsDefined(configuration.Settings.BlockPageDetail))
        {
            // JSON numbers bind to any enum value; only the named ones mean something.
            Add("InvalidBlockPageDetail", "Settings",
                $"The block page detail '{(int)configuration.Settings.BlockPageDetail}' is not one of {string.Join(", ", Enum.GetNames<BlockPageDetail>())}.");
        }

        if (!Enum.IsDefined(configuration.Settings.ActivityVolume))
        {
            Add("InvalidActivityVolume", "Settings",
                $"The activity volume '{(int)configuration.Settings.ActivityVolume}' is not one of {string.Join(", ", Enum.GetNames<ActivityVolume>())}.");
        }

        CheckEnumValues(configuration.Settings, "Settings", "The gateway settings", problems);
        return problems;
    }

    /// <summary>
    /// Adds Invalid&lt;Property&gt; for each enum setting of <paramref name="item"/> (single or list) whose value names nothing:
    /// JSON numbers bind to any enum value, and the engine's comparisons would read one as whichever named value they fall
    /// through to (an access policy's action 2 as Test, an App Control mode 3 as stricter than UseCustomPolicy yet not
    /// enforcing). A problem a dedicated check already reported for the item (InvalidSignIn, say) is not repeated.
    /// </summary>
    internal static void CheckEnumValues(object item, string itemName, string what, List<ConfigurationProblem> problems)
    {
        foreach ((PropertyInfo property, Type enumType, bool isList) in EnumPropertiesOf(item.GetType()))
        {
            IEnumerable<object> values = isList
                ? (property.GetValue(item) as System.Collections.IEnumerable)?.Cast<object>() ?? []
                : property.GetValue(item) is { } single ? [single] : [];
            foreach (object value in values.Where(v => !Enum.IsDefined(enumType, v)).Distinct())
            {
                string id = "Invalid" + property.Name;
                if (!problems.Exists(p => p.ErrorId == id && p.Item == itemName))
                {
                    problems.Add(new ConfigurationProblem(id, itemName,
                        $"{what}: the {property.Name} '{Convert.ToInt64(value, CultureInfo.InvariantCulture)}' is not one of {string.Join(", ", Enum.GetNames(enumType))}."));
                }
            }
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, (PropertyInfo Property, Type EnumType, bool IsList)[]> EnumProperties = new();

    private static (PropertyInfo Property, Type EnumType, bool IsList)[] EnumPropertiesOf(Type type) => EnumProperties.GetOrAdd(type, t =>
    {
        var found = new List<(PropertyInfo, Type, bool)>();
        foreach (PropertyInfo property in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            Type propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            if (propertyType.IsEnum)
            {
                found.Add((property, propertyType, false));
            }
            else if (propertyType.IsGenericType && propertyType.GetGenericArguments() is [{ IsEnum: true } element]
                     && typeof(System.Collections.IEnumerable).IsAssignableFrom(propertyType))
            {
                found.Add((property, element, true));
            }
        }

        return found.ToArray();
    });

    /// <summary>Throws a <see cref="CasbException"/> carrying the first problem's error id when the configuration is invalid.</summary>
    public static void ThrowIfInvalid(CasbConfiguration configuration)
    {
        IReadOnlyList<ConfigurationProblem> problems = Validate(configuration);
        if (problems.Count > 0)
        {
            ConfigurationProblem first = problems[0];
            string all = string.Join(" ", problems.Select(p => p.Message));
            throw new CasbException(first.ErrorId, first.Kind, all, first.Item);
        }
    }

    /// <summary>True when <paramref name="upstream"/> is an absolute http:// or https:// URI with a host.</summary>
    public static bool IsUpstream(string? upstream) =>
        Uri.TryCreate(upstream, UriKind.Absolute, out Uri? uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && !string.IsNullOrEmpty(uri.Host);

    /// <summary>
    /// Null when an absolute upstream has only what the gateway can use (scheme, host, port, path), else why not. The
    /// gateway appends the request's path and query to the upstream, so after a query or fragment they would land at the
    /// upstream's root; a user name or password is not sent (HttpClient ignores it) and would be shown and logged.
    /// </summary>
    public static string? UpstreamPartProblem(Uri upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        if (upstream.UserInfo.Length > 0)
        {
            // Not echoed: it holds a password.
            return "has a user name or password, which the gateway does not send and would show in logs; give the upstream's credentials to the app, not the URI";
        }

        if (upstream.Query.Length > 0 || upstream.AbsoluteUri.Contains('?'))
        {
            return $"'{upstream.OriginalString}' has a query: the request's path and query are appended to the upstream, so they would land at its root";
        }

        return upstream.Fragment.Length > 0 || upstream.AbsoluteUri.Contains('#')
            ? $"'{upstream.OriginalString}' has a fragment: the request's path and query are appended to the upstream, so they would land at its root"
            : null;
    }

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

        string unbracketed = host.Length > 1 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host.TrimEnd('.');
        if (IPAddress.TryParse(unbracketed, out IPAddress? address) &&
            (address.AddressFamily == AddressFamily.InterNetworkV6 || unbracketed.Count(c => c == '.') == 3))
        {
            // inet_aton reads "010.0.0.1" as 8.0.0.1 and "0x0a.0.0.1" as 10.0.0.1, as browsers and the gateway do: an admin
            // who wrote a leading zero meant something else, so the address is asked for as it is matched.
            return address.AddressFamily == AddressFamily.InterNetwork && address.ToString() != unbracketed
                ? $"an IPv4 address is written in dotted decimal without leading zeros; '{unbracketed}' reads as {address}"
                : null;
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

        string[] labels = name.Split('.');
        if (labels[^1].Length > 0 && (labels[^1].All(char.IsAsciiDigit) || labels[^1].StartsWith("0x", StringComparison.OrdinalIgnoreCase)))
        {
            // A browser reads a name whose last label is a number as an IPv4 address (WHATWG URL, "ends in a number"),
            // in inet_aton's shorthand ("10.1" is 10.0.0.1), or refuses it: no request carries the name as written.
            return $"its last label '{labels[^1]}' is a number, so browsers read it as an IPv4 address or refuse it; write an address in dotted decimal, as in 10.0.0.1";
        }

        foreach (string label in labels)
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

    /// <summary>
    /// Null when <paramref name="header"/> can be the trusted identity header, else why not. Null or empty means
    /// no identity header (allowed). Otherwise it must be an HTTP field-name token (RFC 9110: letters, digits and
    /// !#$%&amp;'*+-.^_`|~) and not a header that already means something to the gateway, a browser or HTTP itself:
    /// the gateway removes the identity header from every request and forwards what is left, so naming User-Agent,
    /// Host or Cookie would strip it from every request and trust whatever a sign-in proxy passed in it. Refused:
    /// standard request headers (Host, User-Agent, Cookie, Authorization, Accept*, Content-*, If-*, Sec-*, ...),
    /// hop-by-hop headers (Connection, Keep-Alive, Transfer-Encoding, TE, Upgrade, ...), proxy and trace headers
    /// (X-Forwarded-*, Forwarded, X-Real-IP, Via, traceparent, ...) and the client-certificate headers the gateway
    /// strips and sets (Client-Cert, X-SSL-*, ...). Pseudo-headers (":authority") are not tokens.
    /// </summary>
    public static string? IdentityHeaderProblem(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }

        if (header[0] == ':')
        {
            return "an HTTP/2 pseudo-header cannot be set by a sign-in proxy";
        }

        foreach (char c in header)
        {
            if (!IsTokenChar(c))
            {
                return $"'{DisplayText.Safe(c.ToString())}' is not allowed in a header name (use letters, digits and hyphens, as in X-Signed-In-User)";
            }
        }

        if (ReservedHeaders.Contains(header))
        {
            return "the gateway, the browser or HTTP already gives this header a meaning; choose a header of your own, such as X-Signed-In-User";
        }

        foreach (string prefix in ReservedHeaderPrefixes)
        {
            if (header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return $"headers starting with '{prefix}' already have a meaning to the gateway, the browser or HTTP; choose a header of your own, such as X-Signed-In-User";
            }
        }

        return null;
    }

    // RFC 9110 5.6.2 tchar.
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        // Standard request headers a browser or HTTP client sends (RFC 9110, 9111, 6265, Fetch).
        "Host", "User-Agent", "Cookie", "Cookie2", "Authorization", "Proxy-Authorization", "Accept", "Expect", "From",
        "Range", "Referer", "Origin", "Cache-Control", "Pragma", "Date", "Max-Forwards", "Via", "Warning", "DNT",
        "Upgrade-Insecure-Requests", "Priority", "Early-Data", "Alt-Used", "Purpose", "Save-Data", "Device-Memory",
        "Downlink", "ECT", "RTT", "Viewport-Width", "Width", "DPR",
        // Hop-by-hop (RFC 9110 7.6.1) and HTTP/2 upgrade headers: a proxy consumes them.
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "HTTP2-Settings",
        // Proxy and tracing headers: the gateway strips, reads or sets them; ASP.NET Core reads the trace context.
        "Forwarded", "X-Real-IP", "X-Original-For", "X-Original-Proto", "X-Original-Host", "traceparent", "tracestate",
        "baggage", "Request-Id", "Correlation-Context",
        // Client-certificate headers the gateway strips on the way in and sets for the upstream (RFC 9440 and others).
        "Client-Cert", "Client-Cert-Chain", "X-Client-Cert", "X-Client-Certificate", "X-ARR-ClientCert", "X-ARR-SSL",
        "SSL-Client-Cert",
    };

    private static readonly string[] ReservedHeaderPrefixes =
    {
        "Accept-", "Content-", "If-", "Sec-", "Access-Control-", "Proxy-", "X-Forwarded-", "X-SSL-",
    };

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
        var seen = new HashSet<string>(ItemNames.Comparer);
        foreach (string name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                problems.Add(new ConfigurationProblem("InvalidName", name ?? "", $"A {kind} has an empty name."));
            }
            else if (ItemNames.CharacterProblem(name) is { } unfit)
            {
                // A name is how an admin finds an item again: one that can only be shown escaped cannot be typed back.
                problems.Add(new ConfigurationProblem(ItemNames.InvalidNameErrorId, name,
                    $"The {kind} name '{ItemNames.SafeName(name)}' is refused: {unfit}.", CasbErrorKind.InvalidArgument));
            }
            else if (ItemNames.FormProblem(name) is { } form)
            {
                // Names are stored trimmed (ItemNames): " Mail" is an item that looks like "Mail", and policies on it would not apply.
                problems.Add(new ConfigurationProblem("InvalidName", name,
                    $"The {kind} name '{DisplayText.Safe(name)}' is not in the form names are stored in: {form}."));
            }
            else if (!seen.Add(name))
            {
                problems.Add(new ConfigurationProblem("DuplicateName", name, $"There is more than one {kind} named '{name}' (names compare ignoring case and how Unicode spells a letter: 'é' precomposed or as 'e' and an accent)."));
            }
        }

        return seen;
    }
}
