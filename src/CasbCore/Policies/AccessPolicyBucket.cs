using System.Buffers.Binary;
using System.Net;

namespace CasbCore.Policies;

/// <summary>
/// The enabled access policies for one app (or for every app) and one client app type, indexed so that a request only
/// evaluates the policies it could match. Each policy is filed under one route, the first of its filters that names
/// something the request must have:
/// <list type="number">
/// <item>its included users and groups (a request looks up its user and each of its groups);</item>
/// <item>its User-Agent fragments (a request follows the fragments its User-Agent contains);</item>
/// <item>its "In" IP ranges (a request looks up its address under each prefix length the bucket uses);</item>
/// <item>its "Equals" device tags (a request follows the tags it has);</item>
/// <item>its "DoesNotEqual" device tags (a request that has one of them passes the policy by: "Require certificate"
/// policies are not evaluated for a device that presents a valid one);</item>
/// <item>none of these: evaluated for every request.</item>
/// </list>
/// The index only prunes: <see cref="CompiledAccessPolicy.Matches"/> still checks every filter of a policy it
/// reaches, so a policy reached twice (a user and one of the user's groups both listed) is evaluated twice and
/// counted once by the verdict. A policy it does not reach could not have matched.
/// </summary>
internal sealed class AccessPolicyBucket
{
    public static readonly AccessPolicyBucket Empty = new([], index: true);

    private readonly CompiledAccessPolicy[] _unscoped;
    private readonly Dictionary<int, CompiledAccessPolicy[]> _byUser;
    private readonly Dictionary<int, CompiledAccessPolicy[]> _byGroup;
    private readonly (int Fragment, CompiledAccessPolicy[] Policies)[] _byFragment;
    private readonly Dictionary<NetworkKey, CompiledAccessPolicy[]> _byNetwork;
    private readonly byte[] _ipv4PrefixLengths;
    private readonly byte[] _ipv6PrefixLengths;
    private readonly (string Tag, CompiledAccessPolicy[] Policies)[] _byDeviceTag;

    // Policies that match only a request without any of Tags, grouped by their tag list (most share one, e.g. the
    // valid client certificate's). Before this route, such policies were unscoped: the network benchmark's 1,000-policy
    // store has 167 of them, each evaluated twice per request (decision and the record's explanation), which cost the
    // gateway about 10 us of CPU per request over the 100-policy store (docs/benchmarks.md, "Fifth pass: 1,000 vs 100").
    private readonly (string[] Tags, CompiledAccessPolicy[] Policies)[] _unlessDeviceTags;

    /// <param name="policies">The bucket's policies in configuration order.</param>
    /// <param name="index">False files every policy as unscoped: the linear reference the index is tested against.</param>
    public AccessPolicyBucket(IReadOnlyList<CompiledAccessPolicy> policies, bool index)
    {
        var unscoped = new List<CompiledAccessPolicy>();
        var byUser = new Dictionary<int, List<CompiledAccessPolicy>>();
        var byGroup = new Dictionary<int, List<CompiledAccessPolicy>>();
        var byFragment = new Dictionary<int, List<CompiledAccessPolicy>>();
        var byNetwork = new Dictionary<NetworkKey, List<CompiledAccessPolicy>>();
        var byDeviceTag = new Dictionary<string, List<CompiledAccessPolicy>>(StringComparer.Ordinal);
        var unlessDeviceTags = new Dictionary<string, List<CompiledAccessPolicy>>(StringComparer.Ordinal);
        foreach (CompiledAccessPolicy policy in policies)
        {
            if (!index)
            {
                unscoped.Add(policy);
            }
            else if (policy.IncludeUsers is { } users)
            {
                foreach (int user in users)
                {
                    FileUnder(byUser, user, policy);
                }

                foreach (int group in policy.IncludeGroups!)
                {
                    FileUnder(byGroup, group, policy);
                }
            }
            else if (policy.UserAgentFragments.Length > 0)
            {
                foreach (int fragment in policy.UserAgentFragments)
                {
                    FileUnder(byFragment, fragment, policy);
                }
            }
            else if (policy.InRanges.Length > 0)
            {
                foreach (IPNetwork range in policy.InRanges)
                {
                    FileUnder(byNetwork, NetworkKey.Of(range), policy);
                }
            }
            else if (policy.RequiredDeviceTags.Length > 0)
            {
                foreach (string tag in policy.RequiredDeviceTags)
                {
                    FileUnder(byDeviceTag, tag, policy);
                }
            }
            else if (policy.ForbiddenDeviceTags.Length > 0)
            {
                FileUnder(unlessDeviceTags, TagListKey(policy.ForbiddenDeviceTags), policy);
            }
            else
            {
                unscoped.Add(policy);
            }
        }

        _unscoped = unscoped.ToArray();
        _byUser = Freeze(byUser);
        _byGroup = Freeze(byGroup);
        _byFragment = byFragment.OrderBy(f => f.Key).Select(f => (f.Key, f.Value.ToArray())).ToArray();
        _byNetwork = Freeze(byNetwork);
        _ipv4PrefixLengths = byNetwork.Keys.Where(k => !k.IPv6).Select(k => k.PrefixLength).Distinct().Order().ToArray();
        _ipv6PrefixLengths = byNetwork.Keys.Where(k => k.IPv6).Select(k => k.PrefixLength).Distinct().Order().ToArray();
        _byDeviceTag = byDeviceTag.Select(t => (t.Key, t.Value.ToArray())).ToArray();
        _unlessDeviceTags = unlessDeviceTags.Select(t => (t.Value[0].ForbiddenDeviceTags, t.Value.ToArray())).ToArray();
        Count = policies.Count;
    }

    /// <summary>How many policies the bucket holds (each once, whatever its routes).</summary>
    public int Count { get; }

    /// <summary>Evaluates every policy the request can reach into <paramref name="verdict"/>; allocates nothing.</summary>
    public void Evaluate(in RequestFacts facts, ref AccessVerdict verdict, DecisionTrace? trace)
    {
        Consider(_unscoped, in facts, ref verdict, trace);

        if (_byUser.Count > 0 && facts.UserId >= 0 && _byUser.TryGetValue(facts.UserId, out CompiledAccessPolicy[]? forUser))
        {
            Consider(forUser, in facts, ref verdict, trace);
        }

        if (_byGroup.Count > 0)
        {
            foreach (int group in facts.GroupIds)
            {
                if (_byGroup.TryGetValue(group, out CompiledAccessPolicy[]? forGroup))
                {
                    Consider(forGroup, in facts, ref verdict, trace);
                }
            }
        }

        foreach ((int fragment, CompiledAccessPolicy[] forFragment) in _byFragment)
        {
            if (facts.UserAgentContains(fragment))
            {
                Consider(forFragment, in facts, ref verdict, trace);
            }
        }

        if (_byNetwork.Count > 0 && facts.ClientAddress is { } address)
        {
            EvaluateNetworks(address, in facts, ref verdict, trace);
        }

        foreach ((string tag, CompiledAccessPolicy[] forTag) in _byDeviceTag)
        {
            if (Array.IndexOf(facts.DeviceTags, tag) >= 0)
            {
                Consider(forTag, in facts, ref verdict, trace);
            }
        }

        foreach ((string[] tags, CompiledAccessPolicy[] unlessTags) in _unlessDeviceTags)
        {
            if (!HasAny(facts.DeviceTags, tags))
            {
                Consider(unlessTags, in facts, ref verdict, trace);
            }
        }
    }

    private static bool HasAny(string[] have, string[] tags)
    {
        foreach (string tag in tags)
        {
            if (Array.IndexOf(have, tag) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    // One key per set of tags, whatever their order or repeats; length-prefixed, so no two sets share a key.
    private static string TagListKey(string[] tags) =>
        string.Concat(tags.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(t => $"{t.Length}:{t}"));

    private void EvaluateNetworks(IPAddress address, in RequestFacts facts, ref AccessVerdict verdict, DecisionTrace? trace)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int written))
        {
            return;
        }

        bool ipv6 = written == 16;
        UInt128 bits = ipv6 ? BinaryPrimitives.ReadUInt128BigEndian(bytes) : BinaryPrimitives.ReadUInt32BigEndian(bytes);
        foreach (byte prefixLength in ipv6 ? _ipv6PrefixLengths : _ipv4PrefixLengths)
        {
            if (_byNetwork.TryGetValue(NetworkKey.Of(bits, prefixLength, ipv6), out CompiledAccessPolicy[]? forNetwork))
            {
                Consider(forNetwork, in facts, ref verdict, trace);
            }
        }
    }

    private static void Consider(CompiledAccessPolicy[] policies, in RequestFacts facts, ref AccessVerdict verdict, DecisionTrace? trace)
    {
        foreach (CompiledAccessPolicy policy in policies)
        {
            trace?.Evaluating(policy);
            if (!policy.Matches(in facts))
            {
                continue;
            }

            trace?.Matched(policy);
            if (policy.Action == Model.AccessPolicyAction.Block)
            {
                if (verdict.Blocking is null || policy.Outranks(verdict.Blocking))
                {
                    verdict.Blocking = policy;
                }
            }
            else
            {
                verdict.TestMatched = true;
            }
        }
    }

    private static void FileUnder<TKey>(Dictionary<TKey, List<CompiledAccessPolicy>> routes, TKey key, CompiledAccessPolicy policy)
        where TKey : notnull
    {
        if (!routes.TryGetValue(key, out List<CompiledAccessPolicy>? list))
        {
            routes[key] = list = new List<CompiledAccessPolicy>();
        }

        // A policy listing the same network twice (10.0.0.0/8 and 10.0.0.0/8) is filed once.
        if (list.Count == 0 || !ReferenceEquals(list[^1], policy))
        {
            list.Add(policy);
        }
    }

    private static Dictionary<TKey, CompiledAccessPolicy[]> Freeze<TKey>(Dictionary<TKey, List<CompiledAccessPolicy>> routes)
        where TKey : notnull =>
        routes.ToDictionary(r => r.Key, r => r.Value.ToArray(), routes.Comparer);

    /// <summary>A network as its family, prefix length and address bits with everything past the prefix cleared.</summary>
    private readonly record struct NetworkKey(UInt128 Bits, byte PrefixLength, bool IPv6)
    {
        public static NetworkKey Of(IPNetwork network)
        {
            Span<byte> bytes = stackalloc byte[16];
            network.BaseAddress.TryWriteBytes(bytes, out int written);
            bool ipv6 = written == 16;
            UInt128 bits = ipv6 ? BinaryPrimitives.ReadUInt128BigEndian(bytes) : BinaryPrimitives.ReadUInt32BigEndian(bytes);
            return Of(bits, (byte)network.PrefixLength, ipv6);
        }

        public static NetworkKey Of(UInt128 bits, byte prefixLength, bool ipv6)
        {
            int width = ipv6 ? 128 : 32;
            UInt128 masked = prefixLength == 0 ? UInt128.Zero : (bits >> (width - prefixLength)) << (width - prefixLength);
            return new NetworkKey(masked, prefixLength, ipv6);
        }
    }
}
