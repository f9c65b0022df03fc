using System.Net;
using CasbCore.Catalogs;
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
    private readonly PrincipalIndex _index;
    private readonly UserAgentCache _userAgents;
    private readonly Func<IPAddress?, bool> _isTrustedProxy;

    public IdentityStage(
        AppMatcher apps,
        IReadOnlyList<(AppEntry Entry, CompiledApp Compiled)> compiledApps,
        PrincipalIndex principals,
        UserAgentCache userAgents,
        Func<IPAddress?, bool> isTrustedProxy)
    {
        _apps = apps;
        _compiledApps = new Dictionary<AppEntry, CompiledApp>(ReferenceEqualityComparer.Instance);
        _compiledAppsByName = new Dictionary<string, CompiledApp>(ItemNames.Comparer);
        foreach ((AppEntry entry, CompiledApp compiled) in compiledApps)
        {
            _compiledApps.TryAdd(entry, compiled);
            _compiledAppsByName.TryAdd(entry.Name, compiled);
        }

        _principals = principals.BuildLookup();
        _index = principals;
        _userAgents = userAgents;
        _isTrustedProxy = isTrustedProxy;
    }

    /// <summary>The identity provider whose claims name signed-in users (null: no sign-in).</summary>
    public IdentityProviderEntry? IdentityProvider { get; init; }

    public CertificateUserMismatchAction CertificateUserMismatch { get; init; }

    public void Evaluate(ref DecisionState state)
    {
        AccessRequest request = state.Request;
        DecisionTrace? trace = state.Trace;

        // The app first: whether sign-in claims count depends on it.
        AppEntry? entry = request.AppName is not null ? _apps.FindByName(request.AppName) : _apps.Find(request.Host, request.Path);
        CompiledApp? app = entry is null ? null : FindCompiled(entry);
        state.App = app;

        ResolvedIdentity identity = IdentityResolver.Resolve(
            request, state.Certificate, _isTrustedProxy, IdentityProvider, app?.SignIn ?? SignInMode.None);
        state.User = identity.User;
        state.UserSource = identity.Source;
        state.IdentityProvider = identity.Provider?.Name;
        state.Principal = identity.User is not null && _principals.TryGetValue(identity.User, out CompiledPrincipal? principal)
            ? principal
            : CompiledPrincipal.Unknown;
        if (identity.TokenGroups is { Length: > 0 } tokenGroups)
        {
            state.Principal = WithTokenGroups(state.Principal, tokenGroups);
        }

        UserAgentFacts userAgent = _userAgents.Get(request.UserAgent);
        state.ClientAppType = userAgent.ClientAppType;
        string[] deviceTags = DeviceTagsOf(state.Certificate, out state.DeviceTags);

        // The lines are formatted only for an explanation that keeps them (not the activity record's).
        if (trace is { KeepsReasons: true })
        {
            trace.Reason(app is not null ? app.Reason
                : request.AppName is not null ? $"No app is named '{request.AppName}'."
                : $"No app is configured for host '{request.Host}' and path '{request.Path}'.");
            if (identity.HeaderIgnored)
            {
                trace.Reason(IdentityResolver.IgnoredHeaderReason(request));
            }

            if (IdentityResolver.IgnoredSignInReason(identity, IdentityProvider) is { } ignoredSignIn)
            {
                trace.Reason(ignoredSignIn);
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

        if (app.SignIn == SignInMode.Required && identity.Source is not (UserSources.SignIn or UserSources.Parameter))
        {
            // Before any policy: an app that requires sign-in is decided about signed-in users only.
            trace?.Reason($"App '{app.Name}' requires sign-in; the request has no signed-in user.");
            state.Decided = true;
            state.Action = AccessAction.Block;
            state.SignInRequired = true;
            state.BlockMessage = app.SignInRequiredMessage;
            return;
        }

        // A what-if user of an app that signs users in stands for a signed-in one (as for sign-in required above).
        bool signedIn = identity.Source == UserSources.SignIn || (identity.Source == UserSources.Parameter && app.SignIn != SignInMode.None);
        if (signedIn && state.Certificate.IsValid && !string.IsNullOrWhiteSpace(state.Certificate.Principal)
            && SignIn.UserNames.Canonical(state.Certificate.Principal) is var certificateUser
            && !SignIn.UserNames.Comparer.Equals(certificateUser, identity.User))
        {
            switch (CertificateUserMismatch)
            {
                case CertificateUserMismatchAction.Block:
                    trace?.Reason($"The client certificate names '{certificateUser}', not the signed-in user '{identity.User}'; the gateway blocks a mismatch.");
                    state.Decided = true;
                    state.Action = AccessAction.Block;
                    state.CertificateUserMismatch = true;
                    state.BlockMessage = $"This device's certificate belongs to {certificateUser}, but you signed in as {identity.User}.";
                    return;
                case CertificateUserMismatchAction.Audit:
                    state.CertificateUserMismatch = true;
                    trace?.Reason($"The client certificate names '{certificateUser}', not the signed-in user '{identity.User}'; audited (the signed-in user counts).");
                    break;
                default:
                    trace?.Reason($"The client certificate names '{certificateUser}', not the signed-in user '{identity.User}'; allowed by the gateway setting.");
                    break;
            }
        }

        state.Facts = new RequestFacts(
            app.Name, identity.User, state.Principal, userAgent, deviceTags, request.ClientAddressUnknown ? null : request.ClientAddress ?? request.RemoteAddress);
    }

    /// <summary>
    /// The store's groups of a signed-in user plus the groups their token lists (allocates: signed-in requests only).
    /// A token group counts for a policy when its value is the name of a group the configuration mentions (ignoring case).
    /// </summary>
    private CompiledPrincipal WithTokenGroups(CompiledPrincipal principal, string[] tokenGroups)
    {
        var names = new List<string>(principal.Groups);
        var ids = new List<int>(principal.GroupIds);
        foreach (string group in tokenGroups)
        {
            int id = _index.FindGroup(group);
            if (id >= 0 ? !ids.Contains(id) : !names.Contains(group, SignIn.UserNames.Comparer))
            {
                names.Add(group);
                if (id >= 0)
                {
                    ids.Add(id);
                }
            }
        }

        return new CompiledPrincipal(principal.Id, names.ToArray(), ids.ToArray());
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
