using System.Management.Automation;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>-Name and -InputObject of Set-, Remove-, Enable- and Disable-CasbSessionPolicy, and the session policy catalog and object they use.</summary>
public abstract class SessionPolicyItemCommand : FilterPolicyItemCommand<SessionPolicyEntry, SessionPolicyChange>
{
    /// <summary><para>Names of the session policies; wildcards allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SessionPolicyNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary><para>Session policies, as returned by Get-CasbSessionPolicy.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    [ValidateNotNull]
    public CasbSessionPolicy[] InputObject { get; set; } = [];

    private protected override FilterPolicyCatalog<SessionPolicyEntry, SessionPolicyChange> Catalog => SessionPolicyCatalog.Instance;

    private protected override object ToObject(SessionPolicyEntry policy, string storePath) => new CasbSessionPolicy(policy, storePath);

    private protected override string[] Names => Name;

    private protected override IEnumerable<(string Name, string StorePath)> Piped => InputObject.Select(p => (p.ExactName, p.ExactStorePath));
}
