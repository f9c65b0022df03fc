using CasbCore.Model;

namespace CasbCore.Catalogs;

/// <summary>
/// The access policies (the App Control layer): the shared filters plus user-agent substrings, and an action
/// (Block or Test). Works inside a store update.
/// </summary>
public sealed class AccessPolicyCatalog : FilterPolicyCatalog<AccessPolicyEntry, AccessPolicyChange>
{
    private AccessPolicyCatalog()
        : base(ConfigurationItems.AccessPolicies, "an access policy", "Set-CasbAccessPolicy")
    {
    }

    /// <summary>The catalog holds no state: one serves every store.</summary>
    public static AccessPolicyCatalog Instance { get; } = new();

    private protected override void PrepareOwn(AccessPolicyEntry policy) =>
        policy.UserAgentContains = ConfigurationInput.UserAgentFragments(policy.UserAgentContains);

    private protected override AccessPolicyChange PrepareOwn(AccessPolicyChange change) => change with
    {
        UserAgentContains = change.UserAgentContains is null ? null : ConfigurationInput.UserAgentFragments(change.UserAgentContains),
    };

    private protected override void ChangeOwn(AccessPolicyEntry policy, AccessPolicyChange change)
    {
        policy.Action = change.Action ?? policy.Action;
        policy.UserAgentContains = change.UserAgentContains?.ToList() ?? policy.UserAgentContains;
    }
}
