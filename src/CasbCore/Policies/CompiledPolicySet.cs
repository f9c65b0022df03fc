using System.Collections.Concurrent;
using System.Net;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// The apps, groups and policies of one configuration revision, compiled once for fast evaluation (app index,
/// per-app access policy lists, hash sets, parsed IP networks), then asked for one <see cref="AccessDecision"/>
/// per request. Thread-safe: <see cref="Decide(AccessRequest, CertificateValidationResult)"/> only reads.
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

    /// <summary>User-Agent strings repeat; classifying each distinct one once is the single biggest saving.</summary>
    private const int ClientAppTypeCacheLimit = 4096;

    private readonly AppMatcher _apps;
    private readonly PrincipalIndex _principals = new();
    private readonly Dictionary<string, (string[] Names, int[] Ids)> _groupsByUser;
    private readonly IPNetwork[] _trustedProxies;
    private readonly CompiledConditionalAccessPolicy[] _conditionalAccess;
    /// <summary>Per app, then per client app type (indexed by <see cref="ClientAppType"/>): the enabled policies that can match.</summary>
    private readonly Dictionary<string, CompiledAccessPolicy[][]> _policiesByApp;
    private readonly string[] _userAgentFragments;
    private readonly DefaultAction _defaultAction;
    private readonly ConcurrentDictionary<string, ClientAppType> _clientAppTypes = new(StringComparer.Ordinal);
    private readonly Func<IPAddress?, bool> _isTrustedProxy;
    private readonly SessionStage _sessions;
    private int _clientAppTypeCount;

    private CompiledPolicySet(CasbConfiguration configuration)
    {
        Configuration = configuration;
        _apps = new AppMatcher(configuration.Apps);
        _defaultAction = configuration.Settings.DefaultAction;
        _trustedProxies = IPRanges.ParseAll(configuration.Settings.TrustedProxies, "InvalidTrustedProxy", "Trusted proxies");
        _isTrustedProxy = IsTrustedProxy;

        var groupsByUser = new Dictionary<string, List<(string Name, int Id)>>(StringComparer.OrdinalIgnoreCase);
        foreach (GroupEntry group in configuration.Groups)
        {
            int groupId = _principals.AddGroup(group.Name);
            foreach (string member in group.Members.Where(m => !string.IsNullOrWhiteSpace(m)).Select(m => m.Trim())
                         .Distinct(StringComparer.OrdinalIgnoreCase))
            {
                _principals.AddUser(member);
                if (!groupsByUser.TryGetValue(member, out List<(string, int)>? groups))
                {
                    groupsByUser[member] = groups = new List<(string, int)>();
                }

                if (!groups.Any(g => g.Item2 == groupId))
                {
                    groups.Add((group.Name, groupId));
                }
            }
        }

        _groupsByUser = groupsByUser.ToDictionary(
            p => p.Key,
            p => (p.Value.Select(g => g.Name).ToArray(), p.Value.Select(g => g.Id).ToArray()),
            StringComparer.OrdinalIgnoreCase);

        _conditionalAccess = configuration.ConditionalAccessPolicies.Select(p => new CompiledConditionalAccessPolicy(p, _principals)).ToArray();
        _sessions = new SessionStage(configuration, _principals);

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
            .Select(p => new CompiledAccessPolicy(p.Policy, p.Order, _principals, FragmentId))
            .ToArray();
        _userAgentFragments = fragments.OrderBy(f => f.Value).Select(f => f.Key).ToArray();
        _policiesByApp = new Dictionary<string, CompiledAccessPolicy[][]>(StringComparer.OrdinalIgnoreCase);
        foreach (AppEntry app in configuration.Apps)
        {
            CompiledAccessPolicy[] forApp = enabled
                .Where(p => p.Apps.Count == 0 || p.Apps.Any(a => string.Equals(a?.Trim(), app.Name, StringComparison.OrdinalIgnoreCase)))
                .ToArray();
            _policiesByApp.TryAdd(app.Name,
            [
                forApp.Where(p => p.AppliesTo(ClientAppType.Browser)).ToArray(),
                forApp.Where(p => p.AppliesTo(ClientAppType.MobileAndDesktop)).ToArray(),
            ]);
        }
    }

    public CasbConfiguration Configuration { get; }

    /// <summary>
    /// Compiles a configuration. Throws a <see cref="CasbException"/> (InvalidIPRange, InvalidTrustedProxy,
    /// UnknownDeviceTag) for what cannot be evaluated safely; run <see cref="ConfigurationValidator"/> first for
    /// the full list of problems.
    /// </summary>
    public static CompiledPolicySet Compile(CasbConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new CompiledPolicySet(configuration);
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

    /// <summary>Decides a request whose client certificate was already validated (gateway cache, tests, benchmarks).</summary>
    public AccessDecision Decide(AccessRequest request, CertificateValidationResult certificate)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(certificate);
        var reasons = new List<string>(6);

        ResolvedIdentity identity = IdentityResolver.Resolve(request, certificate, _isTrustedProxy);
        string? user = identity.User;
        string userSource = identity.Source;
        if (identity.IgnoredHeaderReason is not null)
        {
            reasons.Add(identity.IgnoredHeaderReason);
        }

        reasons.Add(identity.Reason);

        (string[] groups, int[] groupIds) = user is not null && _groupsByUser.TryGetValue(user, out (string[], int[]) g)
            ? g
            : (Array.Empty<string>(), Array.Empty<int>());
        ClientAppType clientAppType = ClassifyClientApp(request.UserAgent);
        string[] deviceTags = DeviceTagsOf(certificate);

        AppEntry? app = request.AppName is not null ? _apps.FindByName(request.AppName) : _apps.Find(request.Host, request.Path);
        if (app is null)
        {
            reasons.Insert(0, request.AppName is not null
                ? $"No app is named '{request.AppName}'."
                : $"No app is configured for host '{request.Host}' and path '{request.Path}'.");
            return new AccessDecision
            {
                Action = AccessAction.Block,
                User = user,
                UserSource = userSource,
                Groups = groups,
                ClientAppType = clientAppType,
                DeviceTags = deviceTags,
                Certificate = certificate,
                BlockMessage = "No app is published at this address.",
                Reasons = reasons,
                Revision = Configuration.Revision,
                At = request.At,
                CorrelationId = request.CorrelationId,
            };
        }

        reasons.Insert(0, $"App '{app.Name}'.");
        var facts = new RequestFacts(
            app.Name,
            user,
            _principals.FindUser(user),
            groups,
            groupIds,
            clientAppType,
            deviceTags,
            request.ClientAddress ?? request.RemoteAddress,
            request.UserAgent ?? "",
            _userAgentFragments);

        // Conditional access.
        var conditionalAccess = new ConditionalAccessResult[_conditionalAccess.Length];
        CompiledConditionalAccessPolicy? blockedBy = null;
        AppControlMode? mode = null;
        string? reportOnlyBlock = null;
        bool reportOnlyAppControl = false;
        for (int i = 0; i < _conditionalAccess.Length; i++)
        {
            CompiledConditionalAccessPolicy policy = _conditionalAccess[i];
            (ConditionalAccessResult Result, string Line) result;
            string? notInScope;
            if (policy.State == ConditionalAccessState.Off)
            {
                result = policy.Off;
            }
            else if ((notInScope = policy.NotInScopeBecause(facts)) is not null)
            {
                result = policy.NotInScope(notInScope);
            }
            else if (policy.State == ConditionalAccessState.ReportOnly)
            {
                result = policy.ReportOnly;
                reportOnlyBlock ??= policy.Blocks ? policy.Name : null;
                reportOnlyAppControl |= policy.AppControl;
            }
            else
            {
                result = policy.Applied;
                if (policy.Blocks)
                {
                    blockedBy ??= policy;
                }
                else if (policy.AppControl)
                {
                    mode = mode is null || policy.Mode > mode ? policy.Mode : mode;
                }
            }

            conditionalAccess[i] = result.Result;
            reasons.Add(result.Line);
        }

        AccessAction action;
        string? blockMessage = null;
        string? blockingPolicy = null;
        bool blockedOnDeviceTags = false;
        IReadOnlyList<MatchedAccessPolicy> matched = Array.Empty<MatchedAccessPolicy>();
        bool reportOnlyWouldBlock = reportOnlyBlock is not null;

        if (blockedBy is not null)
        {
            action = AccessAction.Block;
            blockingPolicy = blockedBy.Name;
            blockMessage = $"Access blocked by conditional access policy '{blockedBy.Name}'.";
            reasons.Add($"Blocked by conditional access policy '{blockedBy.Name}'.");
        }
        else if (mode is AppControlMode appControlMode)
        {
            AccessPolicyVerdict verdict = EvaluateAccessPolicies(facts, reasons, "");
            matched = verdict.Matched;
            bool enforce = appControlMode == AppControlMode.UseCustomPolicy;
            if (verdict.Blocking is not null)
            {
                if (enforce)
                {
                    action = AccessAction.Block;
                    blockingPolicy = verdict.Blocking.Name;
                    blockedOnDeviceTags = verdict.Blocking.FiltersOnDeviceTags;
                    blockMessage = verdict.Blocking.BlockMessage ?? DefaultBlockMessage(app.Name);
                    reasons.Add($"Blocked by access policy '{verdict.Blocking.Name}' (severity {verdict.Blocking.Severity}).");
                }
                else
                {
                    action = AccessAction.Monitor;
                    reasons.Add($"Access policy '{verdict.Blocking.Name}' would have blocked; App Control mode {appControlMode} only monitors.");
                }
            }
            else if (_defaultAction == DefaultAction.Block)
            {
                if (enforce)
                {
                    action = AccessAction.Block;
                    blockMessage = DefaultDenyMessage(app.Name);
                    reasons.Add("No access policy blocked; the default action is Block.");
                }
                else
                {
                    action = AccessAction.Monitor;
                    reasons.Add($"The default action Block would have blocked; App Control mode {appControlMode} only monitors.");
                }
            }
            else
            {
                action = verdict.TestMatched ? AccessAction.Monitor : AccessAction.Allow;
                reasons.Add(verdict.TestMatched
                    ? "No access policy blocked; a Test policy matched, so the session is monitored."
                    : "No access policy blocked; the default action is Allow.");
            }
        }
        else
        {
            action = AccessAction.Allow;
            reasons.Add(NotInAppControlScope);
            if (reportOnlyAppControl)
            {
                AccessPolicyVerdict verdict = EvaluateAccessPolicies(facts, reasons, "Report-only: ");
                if (verdict.Blocking is not null)
                {
                    reportOnlyWouldBlock = true;
                    reasons.Add($"Report-only: access policy '{verdict.Blocking.Name}' would have blocked.");
                }
                else if (_defaultAction == DefaultAction.Block)
                {
                    reportOnlyWouldBlock = true;
                    reasons.Add("Report-only: the default action Block would have blocked.");
                }
            }
        }

        if (action == AccessAction.Allow && reportOnlyWouldBlock)
        {
            action = AccessAction.Monitor;
            reasons.Add("Monitored: a report-only policy would have blocked this request.");
        }

        return new AccessDecision
        {
            Action = action,
            App = app.Name,
            User = user,
            UserSource = userSource,
            Groups = groups,
            ClientAppType = clientAppType,
            DeviceTags = deviceTags,
            Certificate = certificate,
            ConditionalAccess = conditionalAccess,
            MatchedPolicies = matched,
            BlockingPolicy = blockingPolicy,
            BlockMessage = blockMessage,
            BlockedOnDeviceTags = blockedOnDeviceTags,
            UnderAppControl = mode is not null,
            AppControlMode = mode,
            SessionControls = mode is AppControlMode sessionMode && action != AccessAction.Block ? _sessions.Controls(sessionMode, facts) : null,
            Reasons = reasons,
            Revision = Configuration.Revision,
            At = request.At,
            CorrelationId = request.CorrelationId,
        };
    }

    /// <summary>The message of a blocking access policy that has none of its own.</summary>
    public static string DefaultBlockMessage(string app) => $"Access to {app} is blocked by your organization's policy.";

    /// <summary>The message when nothing blocks but the gateway's default action is Block.</summary>
    public static string DefaultDenyMessage(string app) => $"Access to {app} is not allowed by default.";

    /// <summary>True when <paramref name="address"/> is one of the configured sign-in proxies.</summary>
    public bool IsTrustedProxy(IPAddress? address) =>
        address is not null && _trustedProxies.Length > 0 && IPRanges.ContainsAny(_trustedProxies, address);

    private ClientAppType ClassifyClientApp(string? userAgent)
    {
        if (string.IsNullOrEmpty(userAgent))
        {
            return ClientAppType.MobileAndDesktop;
        }

        if (_clientAppTypes.TryGetValue(userAgent, out ClientAppType cached))
        {
            return cached;
        }

        ClientAppType type = UserAgentClassifier.Classify(userAgent);
        // Bounded: User-Agent is client-controlled, so a flood of distinct values must not grow memory.
        if (Interlocked.Increment(ref _clientAppTypeCount) <= ClientAppTypeCacheLimit)
        {
            _clientAppTypes.TryAdd(userAgent, type);
        }

        return type;
    }

    private AccessPolicyVerdict EvaluateAccessPolicies(RequestFacts facts, List<string> reasons, string prefix)
    {
        CompiledAccessPolicy[] candidates = _policiesByApp.TryGetValue(facts.App, out CompiledAccessPolicy[][]? forApp)
            ? forApp[(int)facts.ClientAppType]
            : [];
        List<MatchedAccessPolicy>? matched = null;
        CompiledAccessPolicy? blocking = null;
        bool testMatched = false;
        foreach (CompiledAccessPolicy policy in candidates)
        {
            if (!policy.Matches(facts))
            {
                continue;
            }

            (matched ??= new List<MatchedAccessPolicy>()).Add(policy.Matched);
            reasons.Add(prefix.Length == 0 ? policy.MatchedReason : prefix + policy.MatchedReason);
            if (policy.Action == AccessPolicyAction.Block)
            {
                if (blocking is null || policy.Outranks(blocking))
                {
                    blocking = policy;
                }
            }
            else
            {
                testMatched = true;
            }
        }

        return new AccessPolicyVerdict(matched is null ? Array.Empty<MatchedAccessPolicy>() : matched, blocking, testMatched);
    }

    private static string[] DeviceTagsOf(CertificateValidationResult certificate)
    {
        if (!certificate.IsValid)
        {
            return Array.Empty<string>();
        }

        if (certificate.DeviceTags.Count == 0 ||
            (certificate.DeviceTags.Count == 1 && certificate.DeviceTags[0] == DeviceTags.ValidClientCertificate))
        {
            return ValidCertificateTags;
        }

        return certificate.DeviceTags
            .Select(t => DeviceTags.Normalize(t))
            .OfType<string>()
            .Append(DeviceTags.ValidClientCertificate)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
    }

    private static readonly string[] ValidCertificateTags = [DeviceTags.ValidClientCertificate];


    private readonly record struct AccessPolicyVerdict(IReadOnlyList<MatchedAccessPolicy> Matched, CompiledAccessPolicy? Blocking, bool TestMatched);
}
