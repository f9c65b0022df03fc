using System.Management.Automation;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the root and intermediate CAs the store trusts for client certificates.</para>
/// <para type="description">Lists the certificate authorities added with Add-CasbTrustedRoot, optionally filtered by thumbprint (wildcards allowed, any case), subject (wildcards) or kind (Root or Intermediate). A thumbprint without wildcards that matches nothing is reported as an error.</para>
/// </summary>
/// <example>
/// <code>Get-CasbTrustedRoot</code>
/// <para>Lists every trusted root and intermediate of the default store.</para>
/// </example>
/// <example>
/// <code>Get-CasbTrustedRoot -Subject '*Lab*' -Kind Intermediate</code>
/// <para>Lists the trusted intermediates whose subject contains "Lab".</para>
/// </example>
/// <example>
/// <code>Get-CasbTrustedRoot | Where-Object IsExpired</code>
/// <para>Finds trusted CAs that have expired and should be replaced.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CasbTrustedRoot")]
[OutputType(typeof(CasbTrustedRoot))]
public sealed class GetCasbTrustedRootCommand : CasbStoreCmdlet
{
    /// <summary><para>Thumbprints (SHA-1, hex) of the CAs to get; wildcards allowed, case does not matter.</para></summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TrustedRootThumbprintCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Thumbprint { get; set; }

    /// <summary><para>Subject distinguished name to match; wildcards allowed.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Subject { get; set; }

    /// <summary><para>Only roots (self-signed) or only intermediates.</para></summary>
    [Parameter]
    public TrustedRootKind Kind { get; set; }

    private CasbConfiguration? _configuration;

    protected override void ProcessRecord()
    {
        _configuration ??= LoadConfiguration();
        IEnumerable<TrustedRootEntry> entries = _configuration.TrustedRoots;
        if (Subject is not null)
        {
            Func<string, bool> subject = NameSelection.Matcher(Subject, out _);
            entries = entries.Where(e => subject(e.Subject));
        }

        if (MyInvocation.BoundParameters.ContainsKey(nameof(Kind)))
        {
            entries = entries.Where(e => e.Kind == Kind);
        }

        List<TrustedRootEntry> candidates = entries.ToList();
        if (Thumbprint is null)
        {
            WriteAll(candidates);
            return;
        }

        var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string thumbprint in Thumbprint)
        {
            Func<string, bool> pattern = NameSelection.Matcher(TrustedRootCatalog.NormalizeThumbprint(thumbprint), out bool literal);
            List<TrustedRootEntry> matches = candidates.Where(e => pattern(e.Thumbprint)).ToList();
            if (matches.Count == 0 && literal
                && TrustedRootCatalog.Find(_configuration, thumbprint) is null)
            {
                WriteCasbError(TrustedRootCatalog.NotFound(thumbprint));
                continue;
            }

            WriteAll(matches.Where(e => written.Add(e.Thumbprint)));
        }
    }

    private void WriteAll(IEnumerable<TrustedRootEntry> entries)
    {
        foreach (TrustedRootEntry entry in entries)
        {
            WriteObject(new CasbTrustedRoot(entry, Store.Location));
        }
    }
}
