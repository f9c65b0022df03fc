using System.Collections.Concurrent;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// The <see cref="UserAgentFacts"/> of each distinct User-Agent seen by one revision. User-Agent strings repeat,
/// so classifying each one once is the single biggest saving per request. Bounded: the header is client-controlled,
/// so a flood of distinct values empties the cache instead of growing it, and a value longer than any browser sends
/// is worked out for its request and not kept.
/// </summary>
internal sealed class UserAgentCache
{
    public const int Limit = 4096;

    /// <summary>Real User-Agents are a few hundred characters; longer ones are not worth the memory of keeping.</summary>
    public const int MaxCachedLength = 1024;

    private readonly ConcurrentDictionary<string, UserAgentFacts> _facts = new(StringComparer.Ordinal);
    private readonly string[] _fragments;
    private readonly UserAgentFacts _none;
    private int _count;

    /// <param name="fragments">Every <c>-UserAgentContains</c> fragment of the revision, lower-cased, indexed by id.</param>
    public UserAgentCache(string[] fragments)
    {
        _fragments = fragments;
        _none = new UserAgentFacts("", ClientAppType.MobileAndDesktop, fragments);
    }

    /// <summary>A missing or empty User-Agent is MobileAndDesktop and contains no fragment.</summary>
    public UserAgentFacts Get(string? userAgent)
    {
        if (string.IsNullOrEmpty(userAgent))
        {
            return _none;
        }

        if (_facts.TryGetValue(userAgent, out UserAgentFacts? known))
        {
            return known;
        }

        var facts = new UserAgentFacts(userAgent, UserAgentClassifier.Classify(userAgent), _fragments);
        if (userAgent.Length > MaxCachedLength)
        {
            return facts;
        }

        if (Interlocked.Increment(ref _count) > Limit)
        {
            _facts.Clear();
            Interlocked.Exchange(ref _count, 1);
        }

        _facts.TryAdd(userAgent, facts);
        return facts;
    }
}
