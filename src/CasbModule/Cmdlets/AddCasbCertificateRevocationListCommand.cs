using System.Management.Automation;
using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Adds certificate revocation lists (CRLs) that client certificates are checked against.</para>
/// <para type="description">Reads CRL files (DER or PEM "X509 CRL"), finds the issuing CA among the store's trusted roots and intermediates and verifies the CRL's signature with that CA's key; a CRL from an unknown CA or with a bad signature is refused. The store keeps one CRL per CA and scope: a newer CRL (higher CRL number, else later thisUpdate) replaces the stored one, an older one is refused unless -Force; a revocation (other than a certificateHold) that the replaced CRL listed and the new one does not stays in force, carried by the new CRL (RetiredCount), since a CA never takes one back; the partitions of a CA that splits its CRL (each naming its own issuing distribution point) are kept side by side, and a partition vouches only for the certificates that name it as their CRL distribution point. A CRL whose nextUpdate has passed is refused unless -Force, and it never counts as current when certificates are checked. A CRL (complete or delta) without nextUpdate, which RFC 5280 requires of a CA's CRLs, is refused as CrlWithoutNextUpdate unless -Force; stored or fetched from a distribution point, such a CRL counts as current only for the CRL cache period (CrlCacheMinutes, see Set-CasbGatewaySetting) after its thisUpdate, after which the certificate's CRL distribution point is consulted again (CurrentUntil shows when). A CRL that RFC 5280 forbids using (an unrecognized critical extension, a critical CRL number) is refused as CrlMalformed, and one signed with SHA-1 or MD5 as CrlWeakSignature (SHA-1 is accepted when the store allows weak certificate cryptography), -Force or not. Client certificates and intermediates listed in a stored CRL fail validation as Revoked (unless the revocation mode is None), also once the CRL is past its nextUpdate: revocation is permanent. With the Required revocation mode, a CA in the chain without a current CRL (stored or from a distribution point) makes the certificates it issued that no CRL lists fail as RevocationUnknown. Delta CRLs (RFC 5280; Active Directory Certificate Services publishes them between complete CRLs, named in the complete CRL's Freshest CRL extension): a delta CRL is added only when the store holds the complete (base) CRL of the same CA and scope with a CRL number at least the delta's BaseCRLNumber; otherwise it is refused as CrlDeltaWithoutBase (category ObjectNotFound) and nothing is written, -Force or not. A newer delta replaces the stored delta of that CA, an older one is refused as CrlOlderThanStored unless -Force; a newer complete CRL drops the deltas it supersedes. A certificate's status is then the delta's entry when the delta lists it (removeFromCRL lifts a certificateHold of the complete CRL), else the complete CRL's. A complete CRL with a Freshest CRL extension is not complete on its own: without a current delta (stored, or fetched from the Freshest CRL URL) the certificates it does not list have an unknown revocation status (RevocationUnknown with the Required mode, naming the missing delta).</para>
/// </summary>
/// <example>
/// <code>Add-CasbCertificateRevocationList -Path ./intermediate-ca.crl</code>
/// <para>Adds the lab intermediate CA's CRL written by New-CasbSampleCertificate.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem ./pki/*.crl | Add-CasbCertificateRevocationList -StorePath ./lab-store -PassThru</code>
/// <para>Adds every CRL of ./pki to the store in ./lab-store and shows what was stored.</para>
/// </example>
/// <example>
/// <code>Add-CasbCertificateRevocationList -Path ./old.crl -Force</code>
/// <para>Stores a CRL even though it is out of date or older than the stored one (for example to roll back).</para>
/// </example>
/// <example>
/// <code>Add-CasbCertificateRevocationList -Path './Contoso Issuing CA.crl', './Contoso Issuing CA+.crl'</code>
/// <para>Adds an AD CS complete CRL and then its delta CRL (the file name ending in '+'); the delta is refused if its complete CRL is not stored.</para>
/// </example>
[Cmdlet(VerbsCommon.Add, "CasbCertificateRevocationList", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(CasbCertificateRevocationList))]
public sealed class AddCasbCertificateRevocationListCommand : CasbStoreCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary><para>CRL files to add (DER or PEM). Wildcards are allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary><para>CRL files to add, taken exactly as typed (no wildcards).</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary><para>Stores a CRL even when its nextUpdate has passed or it is older than the stored CRL of the same CA.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para>Returns the stored CRL (also when the same CRL was already stored).</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == LiteralPathSet)
        {
            foreach (string literal in LiteralPath)
            {
                AddFile(ResolveFileSystemPath(literal));
            }

            return;
        }

        foreach (string path in Path)
        {
            foreach (string file in ResolveFiles(path, "CRL file"))
            {
                AddFile(file);
            }
        }
    }

    private void AddFile(string file)
    {
        CertificateRevocationList crl;
        try
        {
            crl = CertificateRevocationList.Parse(ReadFile(file), file);
        }
        catch (CasbException ex)
        {
            WriteCasbError(ex);
            return;
        }

        string kind = crl.BaseCrlNumber is { } baseNumber ? $"delta CRL (base CRL number {baseNumber})" : "CRL";
        string action = $"Add the {kind} of '{crl.Issuer.Name}' (CRL number {crl.CrlNumber?.ToString() ?? "none"}, {crl.RevokedCertificates.Count} revoked, next update {crl.NextUpdate?.ToString("u") ?? "none"})";
        if (!ShouldProcess(file, action))
        {
            return;
        }

        (RevocationListEntry entry, RevocationListChange change) result;
        GatewaySettings settings = null!;
        try
        {
            result = Store.Update(configuration =>
            {
                settings = configuration.Settings;
                return RevocationLists.Add(configuration, crl, Force, DateTimeOffset.UtcNow, file);
            });
        }
        catch (CasbException ex) when (ex.ErrorId.StartsWith("Crl", StringComparison.Ordinal))
        {
            WriteCasbError(ex); // this file is refused; the next ones are still added
            return;
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex); // the store itself is broken or locked
            return;
        }

        switch (result.change)
        {
            case RevocationListChange.Unchanged:
                WriteVerbose($"The CRL '{file}' is already stored (id {result.entry.Id}); nothing changed.");
                break;
            case RevocationListChange.Replaced:
                WriteVerbose($"The CRL '{file}' replaced the older CRL of '{result.entry.Issuer}'.");
                break;
        }

        if (PassThru)
        {
            WriteObject(new CasbCertificateRevocationList(result.entry, Store.Location, settings));
        }
    }

    private static byte[] ReadFile(string file)
    {
        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CasbException("CertificateFileNotFound", CasbErrorKind.ObjectNotFound, $"The CRL file '{file}' does not exist.", file, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CasbException("CrlUnreadable", CasbErrorKind.ReadError, $"The CRL file '{file}' cannot be read: {ex.Message}", file, ex);
        }
    }
}
