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

/// <summary>
/// The engine's answer for one request: what happens, and on demand every reason why.
/// <para>A value, so that deciding allocates nothing: it holds the answer and references to what it was made
/// from (the compiled revision, the request, the certificate result), all immutable. <see cref="Explain()"/> (and the
/// <see cref="ConditionalAccess"/>, <see cref="MatchedPolicies"/> and <see cref="Reasons"/> properties, which call it)
/// runs the same stages again on those same inputs with a trace, so the reasons are the ones this decision was made
/// on. Read them through one <see cref="Explain()"/> call when more than one is needed.</para>
/// <para><c>default(AccessDecision)</c> blocks: a decision nobody made never lets a request through.</para>
/// </summary>
public readonly struct AccessDecision
{
    private readonly CompiledPolicySet? _policies;
    private readonly AccessRequest? _request;
    // Action + 1, so that the zero value (default(AccessDecision)) reads as Block.
    private readonly byte _action;
    private readonly string? _userSource;
    private readonly IReadOnlyList<string>? _groups;
    private readonly IReadOnlyList<string>? _deviceTags;
    // Only for a decision made without the engine (a test double): what it was given to explain.
    private readonly DecisionExplanation? _given;
    // What the record's explanation holds, noted while deciding (DecisionState.RecordedOutcomes), unless it needs the trace.
    private readonly ulong _recordedOutcomes;
    private readonly bool _recordOutOfScope;
    private readonly bool _recordNeedsTrace;
    // The facts the stages decided on (the conditional-access stage runs on them again for a record with a policy out of scope).
    private readonly RequestFacts _facts;

    internal AccessDecision(
        CompiledPolicySet policies, AccessRequest request, in RequestFacts facts, ulong recordedOutcomes, bool recordOutOfScope, bool recordNeedsTrace)
    {
        _policies = policies;
        _request = request;
        _facts = facts;
        _recordedOutcomes = recordedOutcomes;
        _recordOutOfScope = recordOutOfScope;
        _recordNeedsTrace = recordNeedsTrace;
    }

    public required AccessAction Action
    {
        get => _action == 0 ? AccessAction.Block : (AccessAction)(_action - 1);
        init => _action = checked((byte)((int)value + 1));
    }

    /// <summary>The app's name, or null when no app matches (the gateway answers 404).</summary>
    public string? App { get; init; }

    public string? User { get; init; }

    /// <summary>Where the user came from: SignIn, IdentityHeader, Certificate, Parameter, Anonymous.</summary>
    public string UserSource
    {
        get => _userSource ?? UserSources.Anonymous;
        init => _userSource = value;
    }

    /// <summary>The identity provider the user signed in with, when <see cref="UserSource"/> is SignIn.</summary>
    public string? IdentityProvider { get; init; }

    /// <summary>
    /// True when the app requires sign-in and the request has no signed-in user: Action is Block, and the gateway
    /// sends a browser to the identity provider instead of showing the block page.
    /// </summary>
    public bool SignInRequired { get; init; }

    /// <summary>
    /// True when a session signed in as one user presented a valid client certificate of another and the gateway's
    /// CertificateUserMismatch setting is Audit or Block.
    /// </summary>
    public bool CertificateUserMismatch { get; init; }

    public IReadOnlyList<string> Groups
    {
        get => _groups ?? Array.Empty<string>();
        init => _groups = value;
    }

    public ClientAppType ClientAppType { get; init; }

    public IReadOnlyList<string> DeviceTags
    {
        get => _deviceTags ?? Array.Empty<string>();
        init => _deviceTags = value;
    }

    public CertificateValidationResult? Certificate { get; init; }

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

    public long Revision { get; init; }

    public DateTimeOffset At { get; init; }

    public string? CorrelationId { get; init; }

    /// <summary>Each conditional-access policy's result (see <see cref="Explain()"/>).</summary>
    public IReadOnlyList<ConditionalAccessResult> ConditionalAccess
    {
        get => Explain().ConditionalAccess;
        init => _given = Given().With(conditionalAccess: value);
    }

    /// <summary>The enforced access policies that matched (see <see cref="Explain()"/>).</summary>
    public IReadOnlyList<MatchedAccessPolicy> MatchedPolicies
    {
        get => Explain().MatchedPolicies;
        init => _given = Given().With(matchedPolicies: value);
    }

    /// <summary>The reason lines, in order (see <see cref="Explain()"/>).</summary>
    public IReadOnlyList<string> Reasons
    {
        get => Explain().Reasons;
        init => _given = Given().With(reasons: value);
    }

    /// <summary>
    /// Every reason for this decision, worked out again from the same compiled revision, request and certificate
    /// result (allocates; the decision itself did not). A decision the engine did not make (a test double) explains
    /// what it was given, or nothing.
    /// </summary>
    public DecisionExplanation Explain() => Explain(recordEvaluated: false);

    /// <summary>The explanation with <see cref="DecisionExplanation.EvaluatedAccessPolicies"/> filled in (tests of the index).</summary>
    internal DecisionExplanation Explain(bool recordEvaluated) =>
        _policies is not null && _request is not null && Certificate is not null
            ? _policies.Explain(_request, Certificate, this, recordEvaluated)
            : _given ?? DecisionExplanation.None;

    /// <summary>
    /// The explanation the activity record logs: every conditional-access result (with its reason) and the matched
    /// policies, without the reason lines (<see cref="DecisionExplanation.Reasons"/> is empty), which the record does
    /// not carry; cheaper, since it runs once per request in the gateway. When deciding noted every part of it (each
    /// conditional-access result one of its policy's prebuilt results, no access policy matched under App Control: the
    /// usual request), it is read from those notes without running the stages again; with a policy out of scope (whose
    /// reason names the request), the conditional-access stage alone runs again, on the facts the decision was made on.
    /// </summary>
    internal DecisionExplanation ExplainForRecord() =>
        _policies is not null && _request is not null && Certificate is not null
            ? _recordNeedsTrace
                ? ExplainForRecordWithTrace()
                : _recordOutOfScope
                    ? _policies.RecordExplanation(_request, Certificate, in _facts)
                    : _policies.RecordExplanation(_recordedOutcomes)
            : _given ?? DecisionExplanation.None;

    /// <summary>The record's explanation worked out by running the stages again with a trace (the reference the notes are tested against).</summary>
    internal DecisionExplanation ExplainForRecordWithTrace() =>
        _policies is not null && _request is not null && Certificate is not null
            ? _policies.Explain(_request, Certificate, this, recordEvaluated: false, keepReasons: false)
            : _given ?? DecisionExplanation.None;

    /// <summary>How <see cref="ExplainForRecord"/> works the explanation out (tests): "notes", "conditional access" (that stage again) or "trace".</summary>
    internal string RecordExplainedBy =>
        _policies is null || _request is null || Certificate is null ? "given"
        : _recordNeedsTrace ? "trace"
        : _recordOutOfScope ? "conditional access"
        : "notes";

    private DecisionExplanation Given() => _given ?? DecisionExplanation.None;
}
