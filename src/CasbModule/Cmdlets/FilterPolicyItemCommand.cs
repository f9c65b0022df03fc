using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;

namespace CasbModule.Cmdlets;

/// <summary>
/// The name set and object set of Set-, Remove-, Enable- and Disable- for access and session policies, and what they
/// do with them: one confirmed store update per selected policy. Each kind declares -Name and -InputObject.
/// </summary>
public abstract class FilterPolicyItemCommand<TPolicy, TChange> : FilterPolicyCommand<TPolicy, TChange>
    where TPolicy : class, IFilterPolicy
    where TChange : FilterPolicyChange
{
    protected const string ByName = "ByName";
    protected const string ByObject = "ByObject";

    /// <summary>The names given with -Name.</summary>
    private protected abstract string[] Names { get; }

    /// <summary>The policies given with -InputObject: their names as stored and the stores they were read from.</summary>
    private protected abstract IEnumerable<(string Name, string StorePath)> Piped { get; }

    /// <summary>
    /// The names this pipeline item selects, each with the store of the object it came from ("" for a name given: the
    /// store bound); literal names not in the store are reported (PolicyNotFound).
    /// </summary>
    private protected List<(string Name, string StorePath)> SelectedNames() =>
        ParameterSetName == ByObject
            ? Piped.ToList()
            : SelectPolicies(LoadConfiguration(), Names).Select(p => (p.Name, "")).ToList();

    private protected void SetSelectedEnabled(bool enabled, bool passThru) =>
        ChangeEach(
            SelectedNames(), enabled ? "Enable policy" : "Disable policy",
            (config, name) => Catalog.SetEnabled(config, name, enabled, DateTimeOffset.UtcNow), passThru);

    private protected void RemoveSelected() => ChangeEach(SelectedNames(), "Remove policy", Catalog.Remove, passThru: false);

    /// <summary>Changes the policies named; a bad field ends the cmdlet before it asks about any of them.</summary>
    private protected void ChangeSelected(List<(string Name, string StorePath)> names, TChange change, bool passThru)
    {
        try
        {
            change = Catalog.Prepare(change);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }

        ChangeEach(names, "Change policy", (config, name) => Catalog.Change(config, name, change, DateTimeOffset.UtcNow), passThru);
    }

    /// <summary>Asks about each policy, then changes it in a store update of its own; a failure is reported for that policy and the rest go on.</summary>
    private void ChangeEach(IEnumerable<(string Name, string StorePath)> names, string action, Func<CasbConfiguration, string, TPolicy> change, bool passThru)
    {
        foreach ((string name, string storePath) in names)
        {
            UseStoreOf(storePath);
            if (!ShouldProcess(Catalog.Describe(name), action))
            {
                continue;
            }

            TPolicy? policy = TryUpdateItem(config => change(config, name));
            if (policy is not null && passThru)
            {
                WritePolicy(policy);
            }
        }
    }
}
