using System.Net;
using CasbCore.Activity;
using CasbGateway.Configuration;
using CasbGateway.Enforcement;

namespace CasbGateway.SignIn;

/// <summary>
/// One request to the /.casb/ endpoints: its correlation id (shown on the page) and what the sign-in or sign-out came to,
/// set by the endpoint or the OpenID Connect handler's events and written as one activity record when the response is done.
/// </summary>
internal sealed class SignInActivityFeature
{
    /// <summary>The gateway's own, unique per request (never the client's traceparent).</summary>
    public required string CorrelationId { get; init; }

    public string? TraceId { get; init; }

    public required DateTimeOffset At { get; init; }

    public EngineState? State { get; init; }

    /// <summary>The app whose host the request came to (an app that signs users in), or null.</summary>
    public string? App { get; set; }

    /// <summary>Null until the request is a sign-in or sign-out event worth recording.</summary>
    public string? Kind { get; private set; }

    public string? Outcome { get; private set; }

    public string? User { get; private set; }

    public int? GroupCount { get; private set; }

    public string? FailureReason { get; private set; }

    public void Succeeded(string kind, string? user, int? groupCount = null)
    {
        Kind = kind;
        Outcome = ActivityKinds.Success;
        User = user;
        GroupCount = groupCount;
        FailureReason = null;
    }

    public void Failed(string kind, string reason, string? user = null)
    {
        Kind = kind;
        Outcome = ActivityKinds.Failure;
        User = user;
        GroupCount = null;
        FailureReason = reason;
    }

    /// <summary>The activity record of this event, or null when nothing happened worth recording.</summary>
    public ActivityRecord? ToRecord(HttpContext context, string gateway)
    {
        if (Kind is null)
        {
            return null;
        }

        IPAddress? peer = context.Connection.RemoteIpAddress;
        return new ActivityRecord
        {
            Time = At,
            Kind = Kind,
            Outcome = Outcome,
            FailureReason = FailureReason,
            GroupCount = GroupCount,
            CorrelationId = CorrelationId,
            TraceId = TraceId,
            App = App,
            Host = RequestHosts.HostOf(context.Request),
            Path = context.Request.Path.Value,
            Method = context.Request.Method,
            User = User,
            UserSource = User is null ? null : CasbCore.Policies.UserSources.SignIn,
            IdentityProvider = State?.SignIn?.Provider.Name,
            SourceIp = (peer is { IsIPv4MappedToIPv6: true } ? peer.MapToIPv4() : peer)?.ToString(),
            UserAgent = context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null,
            HttpStatus = context.Response.StatusCode,
            Revision = State?.Revision ?? 0,
            Gateway = gateway,
        };
    }
}
