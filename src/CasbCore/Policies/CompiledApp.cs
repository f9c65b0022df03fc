using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// One app of a revision: its access policies per client app type and the texts a decision about it uses. The
/// policies that name the app are indexed per app; those for every app are indexed once and shared by all apps.
/// </summary>
internal sealed class CompiledApp
{
    private readonly AccessPolicyBucket[] _own;
    private readonly AccessPolicyBucket[] _everyApp;

    /// <param name="name">The app's name.</param>
    /// <param name="own">The policies that name this app, per <see cref="ClientAppType"/>.</param>
    /// <param name="everyApp">The policies for every app, per <see cref="ClientAppType"/> (shared).</param>
    public CompiledApp(string name, AccessPolicyBucket[] own, AccessPolicyBucket[] everyApp)
    {
        Name = name;
        _own = own;
        _everyApp = everyApp;
        Reason = $"App '{name}'.";
        DefaultBlockMessage = CompiledPolicySet.DefaultBlockMessage(name);
        DefaultDenyMessage = CompiledPolicySet.DefaultDenyMessage(name);
    }

    public string Name { get; }

    /// <summary>Whether the app signs users in (<see cref="AppEntry.SignIn"/>).</summary>
    public SignInMode SignIn { get; init; }

    /// <summary>The block message of a request that needs a signed-in user and has none.</summary>
    public string SignInRequiredMessage => field ??= $"Sign in to {Name} to continue.";

    /// <summary>The first reason line of every decision about this app.</summary>
    public string Reason { get; }

    public string DefaultBlockMessage { get; }

    public string DefaultDenyMessage { get; }

    /// <summary>Evaluates the enabled access policies this app's request can reach (see <see cref="AccessPolicyBucket"/>).</summary>
    public void EvaluateAccessPolicies(in RequestFacts facts, ref AccessVerdict verdict, DecisionTrace? trace)
    {
        int type = (int)facts.ClientAppType;
        _own[type].Evaluate(in facts, ref verdict, trace);
        _everyApp[type].Evaluate(in facts, ref verdict, trace);
    }
}
