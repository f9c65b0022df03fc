using System.Management.Automation;
using CasbCore;
using CasbCore.Model;

namespace CasbModule;

/// <summary>Base of the cmdlets that change named items (apps, groups, policies) one pipeline item at a time.</summary>
public abstract class CasbItemCmdlet : CasbStoreCmdlet
{
    /// <summary>
    /// A piped object remembers the store it came from: use it unless -StorePath was given, so that
    /// <c>Get-CasbAccessPolicy -StorePath ./lab | Disable-CasbAccessPolicy</c> changes ./lab. Called before each item, not
    /// once per -InputObject array: an array may hold objects of several stores, and each goes back to its own. An empty
    /// path (an item given by name) keeps the store as it is.
    /// </summary>
    protected void UseStoreOf(string storePath)
    {
        if (!MyInvocation.BoundParameters.ContainsKey(nameof(StorePath)) && !string.IsNullOrEmpty(storePath))
        {
            StorePath = storePath;
        }
    }

    /// <summary>Runs a store update for one pipeline item; a failure is reported for that item and null returned.</summary>
    protected T? TryUpdateItem<T>(Func<CasbConfiguration, T> mutate)
        where T : class
    {
        try
        {
            return Store.Update(mutate);
        }
        catch (CasbException ex)
        {
            WriteCasbError(ex);
            return null;
        }
    }

    /// <summary>Reports one item that is not in the store and lets the pipeline go on.</summary>
    protected void WriteNotFound(string errorId, string itemKind, string name) =>
        WriteCasbError(new CasbException(
            errorId, CasbErrorKind.ObjectNotFound, $"The {itemKind} '{name}' is not in the store '{Store.Location}'.", name));

    protected CasbException NotFound(string errorId, string itemKind, string name) =>
        new(errorId, CasbErrorKind.ObjectNotFound, $"The {itemKind} '{name}' is not in the store '{Store.Location}'.", name);

    protected bool IsBound(string parameterName) => MyInvocation.BoundParameters.ContainsKey(parameterName);
}
