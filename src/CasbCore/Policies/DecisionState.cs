using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// One decision as the stages build it up, passed by reference from stage to stage: the identity stage fills in
/// who and what is asking, the conditional-access stage the session controls, the access-policy stage the action.
/// A value on the caller's stack, so deciding allocates nothing. With a <see cref="Trace"/> the same stages also
/// write down every reason (an explanation); without one they only decide.
/// </summary>
internal struct DecisionState
{
    public DecisionState(AccessRequest request, CertificateValidationResult certificate, DecisionTrace? trace)
    {
        Request = request;
        Certificate = certificate;
        Trace = trace;
        UserSource = UserSources.Anonymous;
        Principal = CompiledPrincipal.Unknown;
        DeviceTags = Array.Empty<string>();
        // Fail closed: a stage that forgot to decide leaves a block.
        Action = AccessAction.Block;
    }

    public readonly AccessRequest Request;

    public readonly CertificateValidationResult Certificate;

    public readonly DecisionTrace? Trace;

    // Identity stage.

    /// <summary>The app, or null when none matches (the identity stage then decides: Block).</summary>
    public CompiledApp? App;

    public string? User;

    public string UserSource;

    /// <summary>The identity provider of a signed-in user.</summary>
    public string? IdentityProvider;

    public CompiledPrincipal Principal;

    public ClientAppType ClientAppType;

    /// <summary>The read-only view of the device tags handed to the decision.</summary>
    public IReadOnlyList<string> DeviceTags;

    public RequestFacts Facts;

    // Conditional-access stage.

    public CompiledConditionalAccessPolicy? BlockedByConditionalAccess;

    /// <summary>The strictest App Control mode of the On policies in scope, or null when the session is not under App Control.</summary>
    public AppControlMode? AppControlMode;

    public bool ReportOnlyBlocks;

    public bool ReportOnlyAppControl;

    // The outcome.

    /// <summary>Set by the stage that decided for good (no app, a conditional-access block); later stages then add nothing.</summary>
    public bool Decided;

    public AccessAction Action;

    public string? BlockingPolicy;

    public string? BlockMessage;

    /// <summary>True when an access policy with a device-tag filter blocked: the certificate decided.</summary>
    public bool BlockedOnDeviceTags;

    /// <summary>Set by the session stage: the controls an allowed session under App Control carries.</summary>
    public SessionControls? SessionControls;

    /// <summary>The app requires sign-in and nobody signed in (the identity stage decided: Block).</summary>
    public bool SignInRequired;

    /// <summary>A signed-in user presented a valid certificate of another (CertificateUserMismatch Audit or Block).</summary>
    public bool CertificateUserMismatch;

    // What the activity record's explanation holds, noted while deciding (nothing allocated), so that the record need not
    // run every stage again with a trace: the conditional-access result of each policy in order, 2 bits each
    // (ConditionalAccessStage.Noted*: each is one of the policy's prebuilt results); whether a policy was out of scope
    // (its reason names the request: the record's explanation then runs the conditional-access stage alone again, on the
    // decision's facts) or there are more policies than the bits hold; and whether it needs every stage with a trace
    // after all: an access policy matched under App Control (the record lists the matched policies).

    /// <summary>The prebuilt conditional-access result of each policy evaluated, 2 bits per policy, first policy lowest.</summary>
    public ulong RecordedOutcomes;

    /// <summary>True when a conditional-access policy was out of scope, or the policies are more than the notes hold.</summary>
    public bool RecordOutOfScope;

    /// <summary>True when the record's explanation must be worked out by every stage with a trace (see <see cref="RecordedOutcomes"/>).</summary>
    public bool RecordNeedsTrace;

    public readonly AccessDecision ToDecision(CompiledPolicySet policies) => new(policies, Request, Facts, RecordedOutcomes, RecordOutOfScope, RecordNeedsTrace)
    {
        Action = Action,
        App = App?.Name,
        User = User,
        UserSource = UserSource,
        IdentityProvider = IdentityProvider,
        SignInRequired = SignInRequired,
        CertificateUserMismatch = CertificateUserMismatch,
        Groups = Principal.GroupsView,
        ClientAppType = ClientAppType,
        DeviceTags = DeviceTags,
        Certificate = Certificate,
        BlockingPolicy = BlockingPolicy,
        BlockMessage = BlockMessage,
        BlockedOnDeviceTags = BlockedOnDeviceTags,
        UnderAppControl = AppControlMode is not null,
        AppControlMode = AppControlMode,
        SessionControls = SessionControls,
        Revision = policies.Configuration.Revision,
        At = Request.At,
        CorrelationId = Request.CorrelationId,
    };
}
