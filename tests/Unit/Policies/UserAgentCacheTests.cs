using CasbCore.Model;
using CasbCore.Policies;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

/// <summary>The per-revision User-Agent cache: a repeat header is worked out once; client-controlled values cannot grow it without bound.</summary>
public sealed class UserAgentCacheTests
{
    [Fact]
    public void A_repeated_user_agent_is_classified_once_and_its_fragments_are_found_case_insensitively()
    {
        var cache = new UserAgentCache(["edg/", "curl"]);

        UserAgentFacts first = cache.Get(Edge);
        UserAgentFacts again = cache.Get(new string(Edge.AsSpan()));

        Assert.Same(first, again);
        Assert.Equal(ClientAppType.Browser, first.ClientAppType);
        Assert.True(first.Contains(0));
        Assert.False(first.Contains(1));
        Assert.Equal(ClientAppType.MobileAndDesktop, cache.Get(null).ClientAppType);
        Assert.False(cache.Get("").Contains(0));
    }

    [Fact]
    public void A_flood_of_distinct_or_oversized_user_agents_is_answered_correctly_without_being_kept()
    {
        var cache = new UserAgentCache(["curl"]);
        UserAgentFacts edge = cache.Get(Edge);
        string huge = Edge + new string('x', UserAgentCache.MaxCachedLength);

        for (int i = 0; i < UserAgentCache.Limit; i++)
        {
            Assert.True(cache.Get($"curl/{i}").Contains(0));
        }

        Assert.NotSame(edge, cache.Get(Edge));
        Assert.NotSame(cache.Get(huge), cache.Get(huge));
        Assert.Equal(ClientAppType.Browser, cache.Get(huge).ClientAppType);
    }
}
