using System.Net;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// What the policies look at, resolved once per request by the identity stage: ids instead of names, the
/// normalized client address, and the User-Agent's facts shared by every request with the same header. A value
/// passed by reference, so building it allocates nothing.
/// </summary>
internal readonly struct RequestFacts
{
    public RequestFacts(
        string app,
        string? user,
        CompiledPrincipal principal,
        UserAgentFacts userAgent,
        string[] deviceTags,
        IPAddress? clientAddress)
    {
        App = app;
        User = user;
        Principal = principal;
        UserAgent = userAgent;
        DeviceTags = deviceTags;
        ClientAddress = clientAddress is null ? null : IPRanges.Normalize(clientAddress);
    }

    public string App { get; }

    public string? User { get; }

    public CompiledPrincipal Principal { get; }

    /// <summary>-1 for anonymous or a user no policy or group names.</summary>
    public int UserId => Principal.Id;

    public string[] Groups => Principal.Groups;

    public int[] GroupIds => Principal.GroupIds;

    public UserAgentFacts UserAgent { get; }

    public ClientAppType ClientAppType => UserAgent.ClientAppType;

    public string[] DeviceTags { get; }

    /// <summary>IPv4-mapped addresses already mapped to IPv4.</summary>
    public IPAddress? ClientAddress { get; }

    /// <summary>Whether the User-Agent contains fragment <paramref name="id"/> (case-insensitive).</summary>
    public bool UserAgentContains(int id) => UserAgent.Contains(id);
}
