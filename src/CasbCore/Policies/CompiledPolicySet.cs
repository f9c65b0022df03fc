using System.Net;
using CasbCore.Catalogs;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// The apps, groups and policies of one configuration revision, compiled once for fast evaluation (app index,
/// per-app access policies indexed by client app type, user, group, User-Agent fragment, IP range and device tag,
/// principal ids, parsed IP networks), then asked for one <see cref="AccessDecision"/> per request. Thread-safe:
/// <see cref="Decide(AccessRequest, CertificateValidationResult)"/> only reads (and fills per-User-Agent caches).
/// <para>A decision runs three stages, each adding to it (a session stage will follow for session policies):
/// <see cref="IdentityStage"/> (app, user, groups, client app, device tags), <see cref="ConditionalAccessStage"/>,
/// <see cref="AccessPolicyStage"/>. Deciding allocates nothing; the reasons are written down only when
/// <see cref="AccessDecision.Explain()"/> runs the same stages again with a trace.</para>
/// <para>The semantics, in order:</para>
/// <list type="number">
/// <item><b>App</b>: <see cref="AccessRequest.AppName"/> (what-if) or the request's Host + Path through
/// <see cref="AppMatcher"/>. No app: Action Block, App null (the gateway answers 404).</item>
/// <item><b>User</b>: an explicit <see cref="AccessRequest.User"/> (what-if) &gt; the identity header, honoured
/// only when <see cref="AccessRequest.RemoteAddress"/> is in <see cref="GatewaySettings.TrustedProxies"/> &gt; the
/// principal of a client certificate that validated (an invalid certificate names no one) &gt; anonymous.
/// Groups: every group whose members contain the user (case-insensitive).</item>
/// <item><b>Client app type</b>: <see cref="UserAgentClassifier.Classify"/>. <b>Device tags</b>: those of a valid
/// certificate (a valid certificate always earns "Valid client certificate").</item>
/// <item><b>Conditional access</b>, each policy: Off is not applied; otherwise in scope when the user is included
/// (IncludeUsers "All" means every user, anonymous included) and not excluded (exclude always beats include,
/// groups too; an empty include list includes no one, as in Entra), the app is in Apps (empty = all) and the
/// client app type is in ClientAppTypes (empty = all). In scope and On: grant Block blocks outright; session
/// control App Control puts the session under App Control (the strictest mode of all such policies applies).
/// In scope and ReportOnly: evaluated and recorded as "would have ..." but never enforced; a would-be block
/// turns an Allow into Monitor.</item>
/// <item><b>Not under App Control</b>: Allow, "Not in scope of any App Control conditional-access policy";
/// access policies are not enforced.</item>
/// <item><b>Under App Control</b>: every enabled access policy whose filters all match is listed. A matched
/// Block policy blocks with its block message (highest severity wins, then name ordinal-ignore-case, then
/// configuration order); a Test policy only makes the request Monitor. Nothing blocks: the gateway's
/// DefaultAction (Allow, or Block with "Access to &lt;app&gt; is not allowed by default."). Mode MonitorOnly and
/// BlockDownloads turn would-be blocks into Monitor; UseCustomPolicy enforces them.</item>
/// <item><b>Session controls</b> (<see cref="SessionStage"/>): a session under App Control that is not blocked
/// carries the mode and, under UseCustomPolicy, the session policies whose session filters matched; each download
/// or upload is then decided by <see cref="CasbEngine.DecideFile"/>.</item>
/// </list>
/// </summary>
public sealed class CompiledPolicySet
{
    /// <summary>The reason given for a request that no enabled App Control policy covers.</summary>
    public const string NotInAppControlScope = "Not in scope of any App Control conditional-access policy";

    private readonly IPNetwork[] _trustedProxies;
    private readonly AppMatcher _apps;
    // In order; a session stage (session policies) goes after the access policies.
    private readonly IDecisionStage[] _stages;
    private readonly CompiledConditionalAccessPolicy[] _conditionalAccess;
    private readonly ConditionalAccessStage _conditionalAccessStage;
    // The record's explanation per set of noted conditional-access results (RecordExplanation): a revision has few of them.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, DecisionExplanation> _recordExplanations = new();
    private const int MaxRecordExplanations = 4096;
    private readonly SessionStage _sessions;

    private CompiledPolicySet(CasbConfiguration configuration, bool indexAccessPolicies)
    {
        Configuration = configuration;
        _apps = new AppMatcher(configuration.Apps);
        _trustedProxies = IPRanges.ParseAll(configuration.Settings.TrustedProxies, "InvalidTrustedProxy", "Trusted proxies");

        var principals = new PrincipalIndex();
        foreach (GroupEntry group in configuration.Groups)
        {
            int groupId = principals.AddGroup(group.Name);
            foreach (string member in group.Members.Where(m => !string.IsNullOrWhiteSpace(m)).Select(m => m.Trim())
                         .Distinct(StringComparer.OrdinalIgnoreCase))
            {
                principals.AddMember(member, group.Name, groupId);
            }
        }

        CompiledConditionalAccessPolicy[] conditionalAccess = configuration.ConditionalAccessPolicies
            .Select(p => new CompiledConditionalAccessPolicy(p, principals))
            .ToArray();
        _conditionalAccess = conditionalAccess;
        _sessions = new SessionStage(configuration, principals);

        var fragments = new Dictionary<string, int>(StringComparer.Ordinal);
        int FragmentId(string text)
        {
            string fragment = text.ToLowerInvariant();
            if (!fragments.TryGetValue(fragment, out int id))
            {
                fragments[fragment] = id = fragments.Count;
            }

            return id;
        }

        CompiledAccessPolicy[] enabled = configuration.AccessPolicies
            .Select((p, i) => (Policy: p, Order: i))
            .Where(p => p.Policy.Enabled)
            .Select(p => new CompiledAccessPolicy(p.Policy, p.Order, principals, FragmentId))
            .ToArray();
        CompiledAccessPolicy[] ranked = enabled.ToArray();
        Array.Sort(ranked, CompiledAccessPolicy.CompareForBlock);
        for (int i = 0; i < ranked.Length; i++)
        {
            ranked[i].Rank = i;
        }

        AccessPolicyBucket Bucket(IEnumerable<CompiledAccessPolicy> policies)
        {
            CompiledAccessPolicy[] list = policies.ToArray();
            return list.Length == 0 ? AccessPolicyBucket.Empty : new AccessPolicyBucket(list, indexAccessPolicies);
        }

        // Indexed by ClientAppType.
        AccessPolicyBucket[] Buckets(IEnumerable<CompiledAccessPolicy> policies) =>
        [
            Bucket(policies.Where(p => p.AppliesTo(ClientAppType.Browser))),
            Bucket(policies.Where(p => p.AppliesTo(ClientAppType.MobileAndDesktop))),
        ];

        AccessPolicyBucket[] everyApp = Buckets(enabled.Where(p => p.Apps.Count == 0));
        var apps = new List<(AppEntry, CompiledApp)>(configuration.Apps.Count);
        foreach (AppEntry app in configuration.Apps)
        {
            AccessPolicyBucket[] own = Buckets(enabled.Where(p =>
                p.Apps.Any(a => ItemNames.IsSame(a?.Trim(), app.Name))));
            apps.Add((app, new CompiledApp(app.Name, own, everyApp) { SignIn = app.SignIn }));
        }

        string[] userAgentFragments = fragments.OrderBy(f => f.Value).Select(f => f.Key).ToArray();
        _stages =
        [
            new IdentityStage(_apps, apps, principals, new UserAgentCache(userAgentFragments), IsTrustedProxy)
            {
                IdentityProvider = configuration.IdentityProvider,
                CertificateUserMismatch = configuration.Settings.CertificateUserMismatch,
            },
            _conditionalAccessStage = new ConditionalAccessStage(conditionalAccess),
            new AccessPolicyStage(configuration.Settings.DefaultAction),
        ];
    }

    public CasbConfiguration Configuration { get; }

    /// <summary>
    /// Compiles a configuration. Throws a <see cref="CasbException"/> (InvalidIPRange, InvalidTrustedProxy,
    /// UnknownDeviceTag) for what cannot be evaluated safely; run <see cref="ConfigurationValidator"/> first for
    /// the full list of problems.
    /// </summary>
    public static CompiledPolicySet Compile(CasbConfiguration configuration) => Compile(configuration, indexAccessPolicies: true);

    /// <summary>With <paramref name="indexAccessPolicies"/> false every request evaluates all of its app's policies: the reference the index is tested against.</summary>
    internal static CompiledPolicySet Compile(CasbConfiguration configuration, bool indexAccessPolicies)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new CompiledPolicySet(configuration, indexAccessPolicies);
    }

    /// <summary>Decides a request, validating its client certificate (one call) with <paramref name="certificates"/>.</summary>
    public AccessDecision Decide(AccessRequest request, CertificateValidator certificates)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(certificates);
        CertificateValidationResult certificate = request.ClientCertificate is null
            ? CertificateValidationResult.None(request.At)
            : certificates.Validate(request.ClientCertificate, request.At);
        return Decide(request, certificate);
    }

    /// <summary>Decides a request whose client certificate was already validated (gateway cache, tests, benchmarks). Allocates nothing.</summary>
    public AccessDecision Decide(AccessRequest request, CertificateValidationResult certificate)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(certificate);
        var state = new DecisionState(request, certificate, trace: null);
        Run(ref state);
        return state.ToDecision(this);
    }

    /// <summary>The reasons for <paramref name="decision"/>: the same stages on the same inputs, with a trace.</summary>
    internal DecisionExplanation Explain(
        AccessRequest request, CertificateValidationResult certificate, in AccessDecision decision, bool recordEvaluated, bool keepReasons = true)
    {
        var trace = new DecisionTrace(recordEvaluated, keepReasons);
        var state = new DecisionState(request, certificate, trace);
        Run(ref state);
        // The inputs are immutable and the stages deterministic, so this cannot differ; if it ever did, the
        // reasons would describe another decision, and that must not be logged as this one's.
        if (state.Action != decision.Action || !string.Equals(state.BlockingPolicy, decision.BlockingPolicy, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The explanation of request '{request.CorrelationId}' reached {state.Action} where the decision was {decision.Action}.");
        }

        return trace.ToExplanation();
    }

    /// <summary>
    /// The activity record's explanation of a decision whose conditional-access results were all prebuilt ones and which
    /// matched no access policy under App Control (<see cref="DecisionState.RecordedOutcomes"/>): those very result
    /// objects, in policy order, no matched policy, no reason line. Made once per set of results and shared (immutable).
    /// </summary>
    internal DecisionExplanation RecordExplanation(ulong recordedOutcomes)
    {
        if (_recordExplanations.TryGetValue(recordedOutcomes, out DecisionExplanation? known))
        {
            return known;
        }

        var results = new List<ConditionalAccessResult>(_conditionalAccess.Length);
        for (int i = 0; i < ConditionalAccessStage.MaxNoted && i < _conditionalAccess.Length; i++)
        {
            CompiledConditionalAccessPolicy policy = _conditionalAccess[i];
            int code = (int)((recordedOutcomes >> (2 * i)) & 3);
            if (code == 0)
            {
                break;
            }

            results.Add(code switch
            {
                ConditionalAccessStage.NotedOff => policy.Off.Result,
                ConditionalAccessStage.NotedReportOnly => policy.ReportOnly.Result,
                _ => policy.Applied.Result,
            });
        }

        var explanation = new DecisionExplanation(results.Count == 0 ? [] : results.AsReadOnly(), [], [], []);
        if (_recordExplanations.Count < MaxRecordExplanations)
        {
            _recordExplanations.TryAdd(recordedOutcomes, explanation);
        }

        return explanation;
    }

    /// <summary>
    /// The activity record's explanation of a decision that matched no access policy under App Control but had a
    /// conditional-access policy out of scope: the conditional-access stage alone, with a trace, on the facts the
    /// decision was made on (the identity and access-policy stages add nothing to the record's explanation here).
    /// </summary>
    internal DecisionExplanation RecordExplanation(AccessRequest request, CertificateValidationResult certificate, in RequestFacts facts)
    {
        var trace = new DecisionTrace(recordEvaluated: false, keepReasons: false);
        var state = new DecisionState(request, certificate, trace) { Facts = facts };
        _conditionalAccessStage.Evaluate(ref state);
        return trace.ToExplanation();
    }

    /// <summary>The message of a blocking access policy that has none of its own.</summary>
    public static string DefaultBlockMessage(string app) => $"Access to {app} is blocked by your organization's policy.";

    /// <summary>The message when nothing blocks but the gateway's default action is Block.</summary>
    public static string DefaultDenyMessage(string app) => $"Access to {app} is not allowed by default.";

    /// <summary>The app a request's host and (canonical) path reach, as a decision finds it.</summary>
    public AppEntry? FindApp(string? host, string path) => _apps.Find(host, path);

    /// <summary>True when <paramref name="address"/> is one of the configured sign-in proxies.</summary>
    public bool IsTrustedProxy(IPAddress? address) =>
        address is not null && _trustedProxies.Length > 0 && IPRanges.ContainsAny(_trustedProxies, address);

    private void Run(ref DecisionState state)
    {
        foreach (IDecisionStage stage in _stages)
        {
            stage.Evaluate(ref state);
            if (state.Decided)
            {
                return;
            }
        }

        // The session stage: an allowed (or monitored) session under App Control carries its session controls.
        if (state.AppControlMode is AppControlMode mode && state.Action != AccessAction.Block)
        {
            state.SessionControls = _sessions.Controls(mode, state.Facts);
        }
    }
}
