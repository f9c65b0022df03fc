using System.Management.Automation;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>The name set and object set shared by Remove-, Enable- and Disable-CasbAccessPolicy.</summary>
public abstract class AccessPolicyItemCommand : CasbItemCmdlet
{
    protected const string ByName = "ByName";
    protected const string ByObject = "ByObject";

    /// <summary><para>Names of the access policies; wildcards allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(AccessPolicyNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary><para>Access policies, as returned by Get-CasbAccessPolicy.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    [ValidateNotNull]
    public CasbAccessPolicy[] InputObject { get; set; } = [];

    /// <summary>The names this pipeline item selects; literal names not in the store are reported (PolicyNotFound).</summary>
    protected List<string> SelectedNames()
    {
        if (ParameterSetName == ByObject)
        {
            UseStoreOf(InputObject.FirstOrDefault()?.ExactStorePath ?? "");
            return InputObject.Select(p => p.ExactName).ToList();
        }

        CasbConfiguration snapshot = LoadConfiguration();
        return NameSelection.Select(snapshot.AccessPolicies, p => p.Name, Name, n => WriteNotFound("PolicyNotFound", "access policy", n))
            .Select(p => p.Name).ToList();
    }
}
