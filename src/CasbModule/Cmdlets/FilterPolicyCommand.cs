using System.Management.Automation;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;

namespace CasbModule.Cmdlets;

/// <summary>
/// What the cmdlets of access and session policies do alike once their parameters are bound: select, list and create
/// through the kind's catalog and write the kind's object. The parameters stay on each cmdlet, where help names the kind.
/// </summary>
public abstract class FilterPolicyCommand<TPolicy, TChange> : CasbItemCmdlet
    where TPolicy : class, IFilterPolicy
    where TChange : FilterPolicyChange
{
    /// <summary>The parameter sets of Get-: every policy, only enabled ones, only disabled ones.</summary>
    protected const string AllSet = "All";
    protected const string EnabledSet = "Enabled";
    protected const string DisabledSet = "Disabled";

    private protected abstract FilterPolicyCatalog<TPolicy, TChange> Catalog { get; }

    /// <summary>The object written for a policy read from the store at <paramref name="storePath"/>.</summary>
    private protected abstract object ToObject(TPolicy policy, string storePath);

    private protected void WritePolicy(TPolicy policy) => WriteObject(ToObject(policy, Store.Location));

    /// <summary>The policies matching the names (all when none; wildcards allowed); a literal name not in the store is reported (PolicyNotFound).</summary>
    private protected List<TPolicy> SelectPolicies(CasbConfiguration configuration, string[]? names) =>
        NameSelection.Select(
            Catalog.All(configuration), p => p.Name, names,
            name => WriteNotFound(FilterPolicyCatalog<TPolicy, TChange>.NotFoundErrorId, Catalog.Display, name));

    /// <summary>
    /// Writes the policies Get- selects: by name, for an app (a policy without apps applies to all), passing the kind's
    /// own filter, enabled or disabled as the parameter set says.
    /// </summary>
    private protected void WriteSelected(string[]? names, string? app, Func<TPolicy, bool> ownFilter)
    {
        foreach (TPolicy policy in SelectPolicies(LoadConfiguration(), names))
        {
            if (app is not null && policy.Apps.Count > 0 && !policy.Apps.Any(a => NameSelection.IsSame(a, app)))
            {
                continue;
            }

            bool wanted = ParameterSetName switch
            {
                EnabledSet => policy.Enabled,
                DisabledSet => !policy.Enabled,
                _ => true,
            };
            if (wanted && ownFilter(policy))
            {
                WritePolicy(policy);
            }
        }
    }

    /// <summary>Creates a policy after ShouldProcess and writes it; a bad field ends the cmdlet before it asks.</summary>
    /// <param name="policy">The new policy as the parameters give it; the catalog normalizes it in place.</param>
    /// <param name="insteadOfBlocking">What the policy does when its action does not block ("only logs (-Action Test)"), else null: a block message is then never shown.</param>
    private protected void Create(TPolicy policy, string? insteadOfBlocking)
    {
        try
        {
            Catalog.Prepare(policy);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }

        if (policy.BlockMessage is not null && insteadOfBlocking is not null)
        {
            WriteWarning($"The policy '{policy.Name}' {insteadOfBlocking}; its block message is shown only if it is changed to -Action Block.");
        }

        if (!ShouldProcess(Catalog.Describe(policy.Name), "Create policy"))
        {
            return;
        }

        WritePolicy(UpdateConfiguration(config => Catalog.Add(config, policy, DateTimeOffset.UtcNow)));
    }
}
