using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// What the policies of one revision need to know about one User-Agent value: its client app type and, computed
/// on first use, whether it contains each <c>-UserAgentContains</c> fragment. Shared by every request that sends
/// the same header (see <see cref="UserAgentCache"/>), so a repeat request classifies and searches nothing.
/// </summary>
internal sealed class UserAgentFacts
{
    private readonly string _lowerUserAgent;
    private readonly string[] _fragments;
    // 0 not yet known, 1 contains, -1 does not. Two threads racing on one entry compute the same answer.
    private readonly sbyte[] _contains;

    public UserAgentFacts(string userAgent, ClientAppType clientAppType, string[] fragments)
    {
        _lowerUserAgent = userAgent.ToLowerInvariant();
        ClientAppType = clientAppType;
        _fragments = fragments;
        _contains = fragments.Length == 0 ? [] : new sbyte[fragments.Length];
    }

    public ClientAppType ClientAppType { get; }

    /// <summary>Whether the User-Agent contains fragment <paramref name="id"/> (lower-cased at compile time).</summary>
    public bool Contains(int id)
    {
        sbyte known = Volatile.Read(ref _contains[id]);
        if (known == 0)
        {
            known = _lowerUserAgent.Contains(_fragments[id], StringComparison.Ordinal) ? (sbyte)1 : (sbyte)-1;
            Volatile.Write(ref _contains[id], known);
        }

        return known > 0;
    }
}
