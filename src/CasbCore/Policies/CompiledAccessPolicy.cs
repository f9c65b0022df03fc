using System.Net;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>One enabled access policy with its filters precomputed (principal ids, parsed networks, fragment ids).</summary>
internal sealed class CompiledAccessPolicy
{
    private readonly int[]? _users;
    private readonly int[]? _groups;
    private readonly int[] _excludeUsers;
    private readonly int[] _excludeGroups;
    private readonly AccessPolicyClientApp _clientApp;
    private readonly string[] _deviceTags;
    private readonly FilterOperator _deviceTagOperator;
    private readonly IPNetwork[] _ranges;
    private readonly IPRangeOperator _rangeOperator;
    private readonly int[] _userAgentFragments;

    public CompiledAccessPolicy(AccessPolicyEntry entry, int order, PrincipalIndex principals, Func<string, int> fragmentId)
    {
        Name = entry.Name;
        Order = order;
        Action = entry.Action;
        Severity = entry.Severity;
        BlockMessage = string.IsNullOrWhiteSpace(entry.BlockMessage) ? null : entry.BlockMessage;
        Apps = entry.Apps;
        bool anyInclude = entry.Users.Any(u => !string.IsNullOrWhiteSpace(u)) || entry.Groups.Any(g => !string.IsNullOrWhiteSpace(g));
        _users = anyInclude ? principals.Users(entry.Users) : null;
        _groups = anyInclude ? principals.Groups(entry.Groups) : null;
        _excludeUsers = principals.Users(entry.ExcludeUsers);
        _excludeGroups = principals.Groups(entry.ExcludeGroups);
        _clientApp = entry.ClientApp;
        _deviceTags = entry.DeviceTags
            .Select(t => Certificates.DeviceTags.Normalize(t ?? "") ?? throw new CasbException(
                "UnknownDeviceTag", CasbErrorKind.InvalidData, $"Access policy '{entry.Name}': the device tag '{t}' is not known.", t))
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        _deviceTagOperator = entry.DeviceTagOperator;
        _ranges = IPRanges.ParseAll(entry.IPRanges, "InvalidIPRange", $"Access policy '{entry.Name}'");
        _rangeOperator = entry.IPRangeOperator;
        _userAgentFragments = entry.UserAgentContains.Where(s => !string.IsNullOrEmpty(s)).Select(fragmentId).Distinct().ToArray();
        Matched = new MatchedAccessPolicy(Name, Action, Severity, BlockMessage);
        MatchedReason = $"Access policy '{Name}' matched ({Action}, severity {Severity}).";
    }

    public string Name { get; }

    public int Order { get; }

    public AccessPolicyAction Action { get; }

    public PolicySeverity Severity { get; }

    public string? BlockMessage { get; }

    public IReadOnlyList<string> Apps { get; }

    /// <summary>True when the policy has a device-tag filter: the client certificate takes part in its match.</summary>
    public bool FiltersOnDeviceTags => _deviceTags.Length > 0;

    /// <summary>Shared by every decision this policy matches, so matching allocates nothing.</summary>
    public MatchedAccessPolicy Matched { get; }

    public string MatchedReason { get; }

    /// <summary>Whether the client app filter lets <paramref name="type"/> through (the engine indexes policies by it).</summary>
    public bool AppliesTo(ClientAppType type) => _clientApp switch
    {
        AccessPolicyClientApp.Browser => type == ClientAppType.Browser,
        AccessPolicyClientApp.MobileAndDesktop => type == ClientAppType.MobileAndDesktop,
        _ => true,
    };

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

    /// <summary>All filters must match; the app filter is applied by the caller's per-app index. Cheapest checks first.</summary>
    public bool Matches(RequestFacts facts)
    {
        switch (_clientApp)
        {
            case AccessPolicyClientApp.Browser when facts.ClientAppType != ClientAppType.Browser:
            case AccessPolicyClientApp.MobileAndDesktop when facts.ClientAppType != ClientAppType.MobileAndDesktop:
                return false;
        }

        // No user or group listed: everyone, the anonymous user included.
        if (_users is not null &&
            !PrincipalIndex.Contains(_users, facts.UserId) &&
            !PrincipalIndex.ContainsAny(_groups!, facts.GroupIds))
        {
            return false;
        }

        if (PrincipalIndex.Contains(_excludeUsers, facts.UserId) || PrincipalIndex.ContainsAny(_excludeGroups, facts.GroupIds))
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
            bool inRange = false;
            if (facts.ClientAddress is not null)
            {
                foreach (IPNetwork range in _ranges)
                {
                    if (range.Contains(facts.ClientAddress))
                    {
                        inRange = true;
                        break;
                    }
                }
            }

            if (inRange != (_rangeOperator == IPRangeOperator.In))
            {
                return false;
            }
        }

        if (_userAgentFragments.Length > 0)
        {
            bool contains = false;
            foreach (int fragment in _userAgentFragments)
            {
                if (facts.UserAgentContains(fragment))
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
}
