using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbCore.Policies;

public enum AccessAction
{
    /// <summary>Proxied; no access policy matched (or the session is not under App Control).</summary>
    Allow,

    /// <summary>Refused with the block page.</summary>
    Block,

    /// <summary>Proxied and logged: a Test policy matched, or a report-only policy would have blocked.</summary>
    Monitor,
}

public enum ConditionalAccessOutcome
{
    Applied,
    NotApplied,
    ReportOnly,
}

public sealed record ConditionalAccessResult(string PolicyName, ConditionalAccessOutcome Outcome, string Reason);

public sealed record MatchedAccessPolicy(string Name, AccessPolicyAction Action, PolicySeverity Severity, string? BlockMessage);

/// <summary>The engine's answer for one request: what happens and every reason why.</summary>
public sealed class AccessDecision
{
    public required AccessAction Action { get; init; }

    /// <summary>The app's name, or null when no app matches (the gateway answers 404).</summary>
    public string? App { get; init; }

    public string? User { get; init; }

    /// <summary>Where the user came from: IdentityHeader, Certificate, Parameter, Anonymous.</summary>
    public string UserSource { get; init; } = "Anonymous";

    public IReadOnlyList<string> Groups { get; init; } = Array.Empty<string>();

    public ClientAppType ClientAppType { get; init; }

    public IReadOnlyList<string> DeviceTags { get; init; } = Array.Empty<string>();

    public CertificateValidationResult? Certificate { get; init; }

    public IReadOnlyList<ConditionalAccessResult> ConditionalAccess { get; init; } = Array.Empty<ConditionalAccessResult>();

    public IReadOnlyList<MatchedAccessPolicy> MatchedPolicies { get; init; } = Array.Empty<MatchedAccessPolicy>();

    /// <summary>The policy whose block decided the request, when Action is Block.</summary>
    public string? BlockingPolicy { get; init; }

    public string? BlockMessage { get; init; }

    /// <summary>
    /// True when the block came from an access policy with a device-tag filter: the client certificate decided, so what
    /// is wrong with it (<see cref="Certificate"/>) is what the blocked person can fix.
    /// </summary>
    public bool BlockedOnDeviceTags { get; init; }

    /// <summary>True when the session is under an enabled (On) App Control conditional-access policy.</summary>
    public bool UnderAppControl { get; init; }

    /// <summary>The App Control mode in force (the strictest of the applied policies), or null when not under App Control.</summary>
    public AppControlMode? AppControlMode { get; init; }

    /// <summary>
    /// The session controls of an allowed (or monitored) session under App Control: the mode and the session
    /// policies that apply, for <see cref="CasbEngine.DecideFile"/>. Null when the session is blocked or not under App Control.
    /// </summary>
    public SessionControls? SessionControls { get; init; }

    public IReadOnlyList<string> Reasons { get; init; } = Array.Empty<string>();

    public long Revision { get; init; }

    public DateTimeOffset At { get; init; }

    public string? CorrelationId { get; init; }
}
