using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
using CsCheck;

namespace CasbModule.Tests.Policies;

/// <summary>
/// Property: for any request target, the engine either refuses it (the gateway answers 400 and nothing reaches an
/// upstream) or decides on the app and policy that every class of normalizing upstream would serve it under, both
/// for the path the gateway forwards and for the target as the client wrote it. So no spelling of a path
/// ("//admin", "/x/../admin", "/ADMIN", "/adm%69n", "/admin%2Fsecret", "/admin;x", "/admin.") can reach an app's
/// content under another app's policy.
/// </summary>
public sealed class RequestPathPropertyTests
{
    public const string Host = "portal.contoso.local";

    /// <summary>An open app on "/" and protected apps under it, one prefix in mixed case.</summary>
    internal static readonly (string Name, string Prefix)[] Apps =
    [
        ("Open", "/"),
        ("Admin", "/admin"),
        ("Admin API", "/admin/api"),
        ("Reports", "/Reports"),
        ("Home", "/~user"),
        ("Istanbul", "/istanbul"),
    ];

    private static readonly CasbEngine Engine = new(Protect(new CasbConfiguration
    {
        Revision = 1,
        Apps = Apps.Select(a => new AppEntry { Name = a.Name, Upstream = "http://127.0.0.1:1", Hostnames = [Host], PathPrefix = a.Prefix }).ToList(),
    }));

    /// <summary>Puts every app not on "/" under App Control with its own Block policy (<see cref="PolicyOf"/>); the app on "/" stays open.</summary>
    internal static CasbConfiguration Protect(CasbConfiguration configuration)
    {
        List<string> protectedApps = configuration.Apps.Where(a => a.PathPrefix != "/").Select(a => a.Name).ToList();
        configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Protected apps via App Control",
            IncludeUsers = ["All"],
            Apps = protectedApps,
            SessionControl = SessionControlKind.AppControl,
        });
        foreach (string app in protectedApps)
        {
            configuration.AccessPolicies.Add(new AccessPolicyEntry
            {
                Name = PolicyOf(app)!,
                Action = AccessPolicyAction.Block,
                BlockMessage = $"{app} is closed.",
                Apps = [app],
                ClientApp = AccessPolicyClientApp.Any,
            });
        }

        ConfigurationValidator.ThrowIfInvalid(configuration);
        return configuration;
    }

    /// <summary>The Block policy of a protected app; the open app has none.</summary>
    internal static string? PolicyOf(string app) => Apps.Any(a => a.Name == app && a.Prefix == "/") ? null : $"Close {app}";

    /// <summary>
    /// The app an upstream serves <paramref name="servedPath"/> under: the longest prefix it equals or continues after
    /// a '/', ignoring case as case-insensitive servers of either kind compare: by Unicode's simple upper- and
    /// lower-case mappings, under which 'ı' is 'I', 'İ' is 'i' and 'ſ' is 'S' (.NET's invariant casing keeps those three).
    /// </summary>
    internal static string AppServing(string servedPath)
    {
        static string Fold(string s) => new(s.Select(c => c switch
        {
            '\u0131' or '\u0130' => 'i',
            '\u017F' => 's',
            _ => char.ToLowerInvariant(char.ToUpperInvariant(c)),
        }).ToArray());
        string path = Fold(servedPath);
        return Apps
            .Where(a => a.Prefix == "/" || path == Fold(a.Prefix) || path.StartsWith(Fold(a.Prefix) + "/", StringComparison.Ordinal))
            .MaxBy(a => a.Prefix.Length).Name;
    }

    [Fact]
    public void Every_target_is_refused_or_decided_as_every_normalizing_upstream_would_serve_it()
    {
        int accepted = 0, refused = 0;
        var reached = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        RequestTargets.Any.Sample(target =>
        {
            if (!RequestPath.TryParse(target, out RequestPath? path, out _))
            {
                Interlocked.Increment(ref refused);
                return;
            }

            Interlocked.Increment(ref accepted);
            AccessDecision decision = Engine.Decide(new AccessRequest { Host = Host, Path = path.Escaped });
            reached.AddOrUpdate(decision.App ?? "(none)", 1, (_, n) => n + 1);

            string expected = AppServing(path.Value);
            Assert.Equal(expected, decision.App);
            Assert.Equal(PolicyOf(expected), decision.BlockingPolicy);
            Assert.Equal(expected == "Open" ? AccessAction.Allow : AccessAction.Block, decision.Action);
            foreach (NormalizingUpstream upstream in NormalizingUpstreams.All)
            {
                // What the upstream receives is already its own normal form: it serves exactly the decided path...
                Assert.True(path.Value == upstream.Normalize(path.Escaped), $"{upstream}: forwarded {path.Escaped}, decided {path.Value}, served {upstream.Normalize(path.Escaped)}");

                // ...and had the client's spelling gone upstream unchanged, it would have been served under the same app.
                string served = upstream.Normalize(NormalizingUpstreams.PathOf(target));
                Assert.True(expected == AppServing(served), $"{upstream}: target {target} decided as {expected}, served as {served} under {AppServing(served)}");
            }
        }, iter: 10_000);

        // Not vacuous: both outcomes are common and every app is reached through some generated spelling.
        Assert.True(accepted > 1_000 && refused > 1_000, $"accepted {accepted}, refused {refused}");
        Assert.Equal(Apps.Select(a => a.Name).Order(), reached.Keys.Order());
        Assert.True(reached.Values.Min() >= 10, string.Join(", ", reached.Select(r => $"{r.Key}: {r.Value}")));
    }

    [Fact]
    public void A_target_without_ambiguous_pieces_is_never_refused_and_lands_where_a_merging_proxy_serves_it()
    {
        RequestTargets.Unambiguous.Sample(target =>
        {
            Assert.True(RequestPath.TryParse(target, out RequestPath? path, out string? problem), $"{target}: {problem}");
            AccessDecision decision = Engine.Decide(new AccessRequest { Host = Host, Path = target });

            string served = NormalizingUpstreams.All[0].Normalize(NormalizingUpstreams.PathOf(target));
            Assert.Equal(AppServing(served), decision.App);
            Assert.Equal(served, path.Value);
        }, iter: 5_000);
    }

    [Fact]
    public void The_engine_canonicalizes_a_raw_path_itself_and_finds_no_app_for_an_ambiguous_one()
    {
        RequestTargets.Any.Sample(target =>
        {
            AccessDecision raw = Engine.Decide(new AccessRequest { Host = Host, Path = target });
            if (RequestPath.TryParse(target, out RequestPath? path, out _))
            {
                Assert.Equal(Engine.Decide(new AccessRequest { Host = Host, Path = path.Escaped }).App, raw.App);
            }
            else
            {
                Assert.Null(raw.App);
                Assert.Equal(AccessAction.Block, raw.Action);
            }
        }, iter: 5_000);
    }
}
