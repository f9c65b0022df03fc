using System.Net;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>What an access policy's filters look at, resolved once per request.</summary>
internal readonly record struct RequestFacts(
    string App,
    string? User,
    string[] Groups,
    ClientAppType ClientAppType,
    string[] DeviceTags,
    IPAddress? ClientAddress,
    string UserAgent);

/// <summary>One enabled access policy with its filters precomputed (hash sets, parsed networks).</summary>
internal sealed class CompiledAccessPolicy
{
    private readonly HashSet<string>? _users;
    private readonly HashSet<string>? _groups;
    private readonly HashSet<string>? _excludeUsers;
    private readonly HashSet<string>? _excludeGroups;
    private readonly AccessPolicyClientApp _clientApp;
    private readonly string[] _deviceTags;
    private readonly FilterOperator _deviceTagOperator;
    private readonly IPNetwork[] _ranges;
    private readonly IPRangeOperator _rangeOperator;
    private readonly string[] _userAgentContains;

    public CompiledAccessPolicy(AccessPolicyEntry entry, int order)
    {
        Name = entry.Name;
        Order = order;
        Action = entry.Action;
        Severity = entry.Severity;
        BlockMessage = string.IsNullOrWhiteSpace(entry.BlockMessage) ? null : entry.BlockMessage;
        Apps = entry.Apps;
        _users = entry.Users.Count > 0 ? Set(entry.Users) : null;
        _groups = entry.Groups.Count > 0 ? Set(entry.Groups) : null;
        _excludeUsers = entry.ExcludeUsers.Count > 0 ? Set(entry.ExcludeUsers) : null;
        _excludeGroups = entry.ExcludeGroups.Count > 0 ? Set(entry.ExcludeGroups) : null;
        _clientApp = entry.ClientApp;
        _deviceTags = entry.DeviceTags
            .Select(t => Certificates.DeviceTags.Normalize(t) ?? throw new CasbException(
                "UnknownDeviceTag", CasbErrorKind.InvalidData, $"Access policy '{entry.Name}': the device tag '{t}' is not known.", t))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToArray();
        _deviceTagOperator = entry.DeviceTagOperator;
        _ranges = IPRanges.ParseAll(entry.IPRanges, "InvalidIPRange", $"Access policy '{entry.Name}'");
        _rangeOperator = entry.IPRangeOperator;
        _userAgentContains = entry.UserAgentContains.Where(s => !string.IsNullOrEmpty(s)).ToArray();
        Matched = new MatchedAccessPolicy(Name, Action, Severity, BlockMessage);
        MatchedReason = $"Access policy '{Name}' matched ({Action}, severity {Severity}).";
    }

    public string Name { get; }

    public int Order { get; }

    public AccessPolicyAction Action { get; }

    public PolicySeverity Severity { get; }

    public string? BlockMessage { get; }

    public IReadOnlyList<string> Apps { get; }

    /// <summary>Shared by every decision this policy matches, so matching allocates nothing.</summary>
    public MatchedAccessPolicy Matched { get; }

    public string MatchedReason { get; }

    /// <summary>True when this policy should win a block over <paramref name="other"/>: higher severity, then name.</summary>
    public bool Outranks(CompiledAccessPolicy other)
    {
        if (Severity != other.Severity)
        {
            return Severity > other.Severity;
        }

        int byName = string.Compare(Name, other.Name, StringComparison.OrdinalIgnoreCase);
        return byName != 0 ? byName < 0 : Order < other.Order;
    }

    /// <summary>All filters must match; the app filter is applied by the caller's per-app index.</summary>
    public bool Matches(in RequestFacts facts)
    {
        switch (_clientApp)
        {
            case AccessPolicyClientApp.Browser when facts.ClientAppType != ClientAppType.Browser:
            case AccessPolicyClientApp.MobileAndDesktop when facts.ClientAppType != ClientAppType.MobileAndDesktop:
                return false;
        }

        if (_users is not null || _groups is not null)
        {
            bool included = (facts.User is not null && _users is not null && _users.Contains(facts.User)) ||
                            (_groups is not null && AnyIn(facts.Groups, _groups));
            if (!included)
            {
                return false;
            }
        }

        if ((_excludeUsers is not null && facts.User is not null && _excludeUsers.Contains(facts.User)) ||
            (_excludeGroups is not null && AnyIn(facts.Groups, _excludeGroups)))
        {
            return false;
        }

        if (_deviceTags.Length > 0)
        {
            bool hasAny = false;
            foreach (string tag in _deviceTags)
            {
                if (Array.IndexOf(facts.DeviceTags, tag) >= 0)
                {
                    hasAny = true;
                    break;
                }
            }

            if (hasAny != (_deviceTagOperator == FilterOperator.Equals))
            {
                return false;
            }
        }

        if (_ranges.Length > 0)
        {
            // An unknown client address is in no range: it fails "In" and passes "NotIn" (fail closed for blocks).
            bool inRange = facts.ClientAddress is not null && IPRanges.ContainsAny(_ranges, facts.ClientAddress);
            if (inRange != (_rangeOperator == IPRangeOperator.In))
            {
                return false;
            }
        }

        if (_userAgentContains.Length > 0)
        {
            bool contains = false;
            foreach (string fragment in _userAgentContains)
            {
                if (facts.UserAgent.Contains(fragment, StringComparison.OrdinalIgnoreCase))
                {
                    contains = true;
                    break;
                }
            }

            if (!contains)
            {
                return false;
            }
        }

        return true;
    }

    internal static HashSet<string> Set(IEnumerable<string> values) =>
        new(values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()), StringComparer.OrdinalIgnoreCase);

    internal static bool AnyIn(string[] values, HashSet<string> set)
    {
        foreach (string value in values)
        {
            if (set.Contains(value))
            {
                return true;
            }
        }

        return false;
    }
}
