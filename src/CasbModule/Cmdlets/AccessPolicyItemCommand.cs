using System.Management.Automation;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>-Name and -InputObject of Set-, Remove-, Enable- and Disable-CasbAccessPolicy, and the access policy catalog and object they use.</summary>
public abstract class AccessPolicyItemCommand : FilterPolicyItemCommand<AccessPolicyEntry, AccessPolicyChange>
{
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

    private protected override FilterPolicyCatalog<AccessPolicyEntry, AccessPolicyChange> Catalog => AccessPolicyCatalog.Instance;

    private protected override object ToObject(AccessPolicyEntry policy, string storePath) => new CasbAccessPolicy(policy, storePath);

    private protected override string[] Names => Name;

    private protected override IEnumerable<(string Name, string StorePath)> Piped => InputObject.Select(p => (p.ExactName, p.ExactStorePath));
}
