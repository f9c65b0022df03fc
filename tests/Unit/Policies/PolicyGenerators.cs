using CasbCore.Certificates;
using CasbCore.Model;
using CsCheck;

namespace CasbModule.Tests.Policies;

/// <summary>
/// The pools generated policies draw their names from, and how often: each name of a pool is in a subset about one
/// time in <see cref="OneIn"/> (<see cref="IncludeOneIn"/> for a conditional-access policy's included users and groups),
/// and a conditional-access policy blocks about one time in <see cref="BlockOneIn"/>. An empty <see cref="Apps"/>
/// pool: the policies name no app (every app).
/// </summary>
internal sealed record PolicyPools(string[] Users, string[] Groups, string[] Apps, string[] Ranges, string[] Fragments)
{
    public int OneIn { get; init; } = 4;

    public int IncludeOneIn { get; init; } = 4;

    /// <summary>A conditional-access policy includes All two times in three, not one in two.</summary>
    public bool AllMostly { get; init; }

    public int BlockOneIn { get; init; } = 4;
}

/// <summary>Conditional-access and access policies generated over <see cref="PolicyPools"/>, for the property tests of the engine and the gateway.</summary>
internal static class PolicyGenerators
{
    /// <summary>Each name of <paramref name="pool"/> when its draw from [0, <paramref name="oneIn"/>] is 0.</summary>
    public static Gen<List<string>> Subset(string[] pool, int oneIn = 4) =>
        Gen.Int[0, oneIn].Array[pool.Length].Select(picks => pool.Where((_, i) => picks[i] == 0).ToList());

    public static Gen<ConditionalAccessPolicyEntry> ConditionalAccess(PolicyPools pools) =>
        from state in Gen.Enum<ConditionalAccessState>()
        from all in pools.AllMostly ? Gen.Int[0, 2].Select(i => i != 0) : Gen.Bool
        from includeUsers in Subset(pools.Users, pools.IncludeOneIn)
        from includeGroups in Subset(pools.Groups, pools.IncludeOneIn)
        from excludeUsers in Subset(pools.Users, pools.OneIn)
        from excludeGroups in Subset(pools.Groups, pools.OneIn)
        from apps in Subset(pools.Apps, pools.OneIn)
        from types in Gen.Int[0, 2]
        from block in Gen.Int[0, pools.BlockOneIn - 1]
        from mode in Gen.Enum<AppControlMode>()
        select new ConditionalAccessPolicyEntry
        {
            Name = "CA",
            State = state,
            IncludeUsers = all ? ["All"] : includeUsers,
            IncludeGroups = includeGroups,
            ExcludeUsers = excludeUsers,
            ExcludeGroups = excludeGroups,
            Apps = apps,
            ClientAppTypes = types switch { 0 => [], 1 => [ClientAppType.Browser], _ => [ClientAppType.MobileAndDesktop] },
            Grant = block == 0 ? GrantControl.Block : GrantControl.None,
            SessionControl = block == 0 ? SessionControlKind.None : SessionControlKind.AppControl,
            AppControlMode = mode,
        };

    public static Gen<AccessPolicyEntry> AccessPolicy(PolicyPools pools) =>
        from action in Gen.Enum<AccessPolicyAction>()
        from severity in Gen.Enum<PolicySeverity>()
        from enabled in Gen.Int[0, 5]
        from clientApp in Gen.Enum<AccessPolicyClientApp>()
        from apps in Subset(pools.Apps, pools.OneIn)
        from users in Subset(pools.Users, pools.OneIn)
        from groups in Subset(pools.Groups, pools.OneIn)
        from excludeUsers in Subset(pools.Users, pools.OneIn)
        from excludeGroups in Subset(pools.Groups, pools.OneIn)
        from tags in Gen.Int[0, 2]
        from ranges in Subset(pools.Ranges, pools.OneIn)
        from rangeOperator in Gen.Enum<IPRangeOperator>()
        from fragments in Subset(pools.Fragments, pools.OneIn)
        select new AccessPolicyEntry
        {
            Action = action,
            Severity = severity,
            Enabled = enabled != 0,
            ClientApp = clientApp,
            Apps = apps,
            Users = users,
            Groups = groups,
            ExcludeUsers = excludeUsers,
            ExcludeGroups = excludeGroups,
            DeviceTags = tags == 0 ? [] : [DeviceTags.ValidClientCertificate],
            DeviceTagOperator = tags == 2 ? FilterOperator.DoesNotEqual : FilterOperator.Equals,
            IPRanges = ranges,
            IPRangeOperator = rangeOperator,
            UserAgentContains = fragments,
        };
}
