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
        // "All" among the users is everyone, as in a conditional-access policy: not a user of that name, who would be no one.
        bool anyInclude = !entry.Users.Any(CompiledConditionalAccessPolicy.IsAllUsers)
                          && (entry.Users.Any(u => !string.IsNullOrWhiteSpace(u)) || entry.Groups.Any(g => !string.IsNullOrWhiteSpace(g)));
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
        BlockedReason = $"Blocked by access policy '{Name}' (severity {Severity}).";
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

    public string BlockedReason { get; }

    /// <summary>
    /// Position in the block ranking of the whole set (0 wins): highest severity, then name (ordinal, ignoring
    /// case), then configuration order. Set once at compile time, so comparing two blocks is one integer compare.
    /// </summary>
    public int Rank { get; set; }

    /// <summary>Users the policy is limited to (with <see cref="IncludeGroups"/>), or null when it applies to everyone.</summary>
    public int[]? IncludeUsers => _users;

    public int[]? IncludeGroups => _groups;

    /// <summary>User-Agent fragment ids; the request must contain one of them. Empty: no such filter.</summary>
    public int[] UserAgentFragments => _userAgentFragments;

    /// <summary>The ranges the client address must be in; empty when the policy has no "In" range filter.</summary>
    public IPNetwork[] InRanges => _rangeOperator == IPRangeOperator.In ? _ranges : [];

    /// <summary>The device tags of which the request must have one; empty when the policy has no "Equals" tag filter.</summary>
    public string[] RequiredDeviceTags => _deviceTagOperator == FilterOperator.Equals ? _deviceTags : [];

    /// <summary>The device tags of which the request must have none; empty when the policy has no "DoesNotEqual" tag filter.</summary>
    public string[] ForbiddenDeviceTags => _deviceTagOperator == FilterOperator.DoesNotEqual ? _deviceTags : [];

    /// <summary>Whether the client app filter lets <paramref name="type"/> through (the engine indexes policies by it).</summary>
    public bool AppliesTo(ClientAppType type) => _clientApp switch
    {
        AccessPolicyClientApp.Browser => type == ClientAppType.Browser,
        AccessPolicyClientApp.MobileAndDesktop => type == ClientAppType.MobileAndDesktop,
        _ => true,
    };

    /// <summary>True when this policy should win a block over <paramref name="other"/> (see <see cref="Rank"/>).</summary>
    public bool Outranks(CompiledAccessPolicy other) => Rank < other.Rank;

    /// <summary>The ranking <see cref="Rank"/> numbers: highest severity, then name, then configuration order.</summary>
    public static int CompareForBlock(CompiledAccessPolicy x, CompiledAccessPolicy y)
    {
        if (x.Severity != y.Severity)
        {
            return x.Severity > y.Severity ? -1 : 1;
        }

        int byName = string.Compare(x.Name, y.Name, StringComparison.OrdinalIgnoreCase);
        return byName != 0 ? byName : x.Order.CompareTo(y.Order);
    }

    /// <summary>
    /// All filters must match; the app filter is applied by the caller's per-app index. Cheapest checks first. Every
    /// filter is checked here even when an index already selected the policy by it: the index only prunes.
    /// </summary>
    public bool Matches(in RequestFacts facts)
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
