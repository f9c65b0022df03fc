using System.Net;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>What the policies look at, resolved once per request (ids, normalized address, memoized substrings).</summary>
internal sealed class RequestFacts
{
    private readonly string[] _fragments;
    private sbyte[]? _fragmentResults;
    private string? _lowerUserAgent;

    public RequestFacts(
        string app,
        string? user,
        int userId,
        string[] groups,
        int[] groupIds,
        ClientAppType clientAppType,
        string[] deviceTags,
        IPAddress? clientAddress,
        string userAgent,
        string[] fragments)
    {
        App = app;
        User = user;
        UserId = userId;
        Groups = groups;
        GroupIds = groupIds;
        ClientAppType = clientAppType;
        DeviceTags = deviceTags;
        ClientAddress = clientAddress is null ? null : IPRanges.Normalize(clientAddress);
        UserAgent = userAgent;
        _fragments = fragments;
    }

    public string App { get; }

    public string? User { get; }

    /// <summary>-1 for anonymous or a user no policy or group names.</summary>
    public int UserId { get; }

    public string[] Groups { get; }

    public int[] GroupIds { get; }

    public ClientAppType ClientAppType { get; }

    public string[] DeviceTags { get; }

    /// <summary>IPv4-mapped addresses already mapped to IPv4.</summary>
    public IPAddress? ClientAddress { get; }

    public string UserAgent { get; }

    /// <summary>Whether the User-Agent contains fragment <paramref name="id"/> (lower-cased at compile; case-insensitive), computed once per request.</summary>
    public bool UserAgentContains(int id)
    {
        _fragmentResults ??= new sbyte[_fragments.Length];
        sbyte result = _fragmentResults[id];
        if (result == 0)
        {
            _lowerUserAgent ??= UserAgent.ToLowerInvariant();
            result = _lowerUserAgent.Contains(_fragments[id], StringComparison.Ordinal) ? (sbyte)1 : (sbyte)-1;
            _fragmentResults[id] = result;
        }

        return result > 0;
    }
}
