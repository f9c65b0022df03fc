using System.Net;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// The first stage: which app the request is for, who the user is (and their groups), which client app the
/// User-Agent is, which device tags the certificate earns, and the client address. No app decides the request:
/// Block, and the gateway answers 404.
/// </summary>
internal sealed class IdentityStage : IDecisionStage
{
    private const string NoAppMessage = "No app is published at this address.";

    private static readonly string[] ValidCertificateTags = [DeviceTags.ValidClientCertificate];
    private static readonly IReadOnlyList<string> ValidCertificateTagsView = Array.AsReadOnly(ValidCertificateTags);

    private readonly AppMatcher _apps;
    private readonly Dictionary<AppEntry, CompiledApp> _compiledApps;
    private readonly Dictionary<string, CompiledApp> _compiledAppsByName;
    private readonly Dictionary<string, CompiledPrincipal> _principals;
    private readonly UserAgentCache _userAgents;
    private readonly Func<IPAddress?, bool> _isTrustedProxy;

    public IdentityStage(
        AppMatcher apps,
        IReadOnlyList<(AppEntry Entry, CompiledApp Compiled)> compiledApps,
        Dictionary<string, CompiledPrincipal> principals,
        UserAgentCache userAgents,
        Func<IPAddress?, bool> isTrustedProxy)
    {
        _apps = apps;
        _compiledApps = new Dictionary<AppEntry, CompiledApp>(ReferenceEqualityComparer.Instance);
        _compiledAppsByName = new Dictionary<string, CompiledApp>(StringComparer.OrdinalIgnoreCase);
        foreach ((AppEntry entry, CompiledApp compiled) in compiledApps)
        {
            _compiledApps.TryAdd(entry, compiled);
            _compiledAppsByName.TryAdd(entry.Name, compiled);
        }

        _principals = principals;
        _userAgents = userAgents;
        _isTrustedProxy = isTrustedProxy;
    }

    public void Evaluate(ref DecisionState state)
    {
        AccessRequest request = state.Request;
        DecisionTrace? trace = state.Trace;

        ResolvedIdentity identity = IdentityResolver.Resolve(request, state.Certificate, _isTrustedProxy);
        state.User = identity.User;
        state.UserSource = identity.Source;
        state.Principal = identity.User is not null && _principals.TryGetValue(identity.User, out CompiledPrincipal? principal)
            ? principal
            : CompiledPrincipal.Unknown;
        UserAgentFacts userAgent = _userAgents.Get(request.UserAgent);
        state.ClientAppType = userAgent.ClientAppType;
        string[] deviceTags = DeviceTagsOf(state.Certificate, out state.DeviceTags);

        AppEntry? entry = request.AppName is not null ? _apps.FindByName(request.AppName) : _apps.Find(request.Host, request.Path);
        CompiledApp? app = entry is null ? null : FindCompiled(entry);
        state.App = app;

        if (trace is not null)
        {
            trace.Reason(app is not null ? app.Reason
                : request.AppName is not null ? $"No app is named '{request.AppName}'."
                : $"No app is configured for host '{request.Host}' and path '{request.Path}'.");
            if (identity.HeaderIgnored)
            {
                trace.Reason(IdentityResolver.IgnoredHeaderReason(request));
            }

            trace.Reason(IdentityResolver.Reason(identity));
        }

        if (app is null)
        {
            state.Decided = true;
            state.Action = AccessAction.Block;
            state.BlockMessage = NoAppMessage;
            return;
        }

        state.Facts = new RequestFacts(
            app.Name, identity.User, state.Principal, userAgent, deviceTags, request.ClientAddress ?? request.RemoteAddress);
    }

    private CompiledApp? FindCompiled(AppEntry entry) =>
        _compiledApps.TryGetValue(entry, out CompiledApp? compiled) ? compiled : _compiledAppsByName.GetValueOrDefault(entry.Name);

    private static string[] DeviceTagsOf(CertificateValidationResult certificate, out IReadOnlyList<string> view)
    {
        if (!certificate.IsValid)
        {
            view = Array.Empty<string>();
            return Array.Empty<string>();
        }

        if (certificate.DeviceTags.Count == 0 ||
            (certificate.DeviceTags.Count == 1 && certificate.DeviceTags[0] == DeviceTags.ValidClientCertificate))
        {
            view = ValidCertificateTagsView;
            return ValidCertificateTags;
        }

        string[] tags = certificate.DeviceTags
            .Select(t => DeviceTags.Normalize(t))
            .OfType<string>()
            .Append(DeviceTags.ValidClientCertificate)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        view = Array.AsReadOnly(tags);
        return tags;
    }
}
