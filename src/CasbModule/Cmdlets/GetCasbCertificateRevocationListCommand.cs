using System.Management.Automation;
using CasbCore.Model;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the certificate revocation lists (CRLs) in the store.</para>
/// <para type="description">Lists the stored CRLs with their issuing CA, thisUpdate and nextUpdate, CRL number and the number of revoked certificates. A delta CRL shows IsDelta and, as DeltaOf (BaseCrlNumber), the CRL number of the complete CRL it completes. -Issuer filters by the issuing CA's name (wildcards allowed); -Id selects CRLs by their id. IsCurrent says whether the CRL is still current as the gateway counts it (CurrentUntil: its nextUpdate, or for a CRL without one the CRL cache period after its thisUpdate): an out-of-date CRL does not establish revocation status.</para>
/// </summary>
/// <example>
/// <code>Get-CasbCertificateRevocationList</code>
/// <para>Lists every CRL in the default store.</para>
/// </example>
/// <example>
/// <code>Get-CasbCertificateRevocationList -Issuer '*Issuing CA*' | Format-List *</code>
/// <para>Shows all details of the CRLs issued by CAs whose name contains "Issuing CA".</para>
/// </example>
/// <example>
/// <code>Get-CasbCertificateRevocationList | Where-Object { -not $_.IsCurrent }</code>
/// <para>Finds CRLs past their nextUpdate that need replacing.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CasbCertificateRevocationList", DefaultParameterSetName = IssuerSet)]
[OutputType(typeof(CasbCertificateRevocationList))]
public sealed class GetCasbCertificateRevocationListCommand : CasbStoreCmdlet
{
    private const string IssuerSet = "Issuer";
    private const string IdSet = "Id";

    /// <summary><para>The issuing CA's distinguished name; wildcards allowed. Default: all.</para></summary>
    [Parameter(Position = 0, ParameterSetName = IssuerSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.RevocationListCompleter))]
    public string[]? Issuer { get; set; }

    /// <summary><para>The ids (SHA-256 of the CRL) of the CRLs to get.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completers.RevocationListCompleter))]
    public string[] Id { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        CasbConfiguration configuration = LoadConfiguration();
        IEnumerable<RevocationListEntry> entries = configuration.RevocationLists.OrderBy(e => e.Issuer, StringComparer.OrdinalIgnoreCase);
        if (ParameterSetName == IdSet)
        {
            foreach (string id in Id)
            {
                RevocationListEntry? entry = configuration.RevocationLists.FirstOrDefault(e => string.Equals(e.Id, id.Trim(), StringComparison.OrdinalIgnoreCase));
                if (entry is null)
                {
                    WriteCasbError(new CasbCore.CasbException(
                        "CrlNotFound", CasbCore.CasbErrorKind.ObjectNotFound, $"The store '{Store.Location}' has no CRL with id '{id}'.", id));
                    continue;
                }

                WriteObject(new CasbCertificateRevocationList(entry, Store.Location, configuration.Settings));
            }

            return;
        }

        Func<string, bool>[] patterns = (Issuer ?? new[] { "*" })
            .Select(i => NameSelection.Matcher(i, out _))
            .ToArray();
        foreach (RevocationListEntry entry in entries)
        {
            if (patterns.Any(p => p(entry.Issuer)))
            {
                WriteObject(new CasbCertificateRevocationList(entry, Store.Location, configuration.Settings));
            }
        }
    }
}
