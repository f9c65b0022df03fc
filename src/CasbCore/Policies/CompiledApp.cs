using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>One app of a revision: its access policies per client app type and the texts a decision about it uses.</summary>
internal sealed class CompiledApp
{
    private readonly AccessPolicyBucket _browser;
    private readonly AccessPolicyBucket _mobileAndDesktop;

    public CompiledApp(string name, AccessPolicyBucket browser, AccessPolicyBucket mobileAndDesktop)
    {
        Name = name;
        _browser = browser;
        _mobileAndDesktop = mobileAndDesktop;
        Reason = $"App '{name}'.";
        DefaultBlockMessage = CompiledPolicySet.DefaultBlockMessage(name);
        DefaultDenyMessage = CompiledPolicySet.DefaultDenyMessage(name);
    }

    public string Name { get; }

    /// <summary>The first reason line of every decision about this app.</summary>
    public string Reason { get; }

    public string DefaultBlockMessage { get; }

    public string DefaultDenyMessage { get; }

    /// <summary>The enabled access policies that can apply to this app for <paramref name="type"/>.</summary>
    public AccessPolicyBucket PoliciesFor(ClientAppType type) =>
        type == ClientAppType.Browser ? _browser : _mobileAndDesktop;
}
