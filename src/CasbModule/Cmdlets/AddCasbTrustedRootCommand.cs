using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Certificates;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Adds root or intermediate certificate authorities that client certificates must chain to.</para>
/// <para type="description">Device identification in Defender for Cloud Apps trusts a device when it presents a client certificate issued under a CA the admin uploaded. Add-CasbTrustedRoot uploads those CAs into the store: PEM files with one or many certificates, DER .cer/.crt files and PKCS#7 .p7b bundles, or X509Certificate2 objects from the pipeline. A self-signed certificate is recorded as a Root, any other as an Intermediate. Only CA certificates (basic constraints CA=true) are accepted, and an expired or not-yet-valid CA only with -Force. A file's certificates are added all or none; a bad file is reported and the other files are still added. Adding a certificate that is already trusted changes nothing and returns the existing entry.</para>
/// </summary>
/// <example>
/// <code>Add-CasbTrustedRoot -Path ./root-ca.pem</code>
/// <para>Trusts the lab root CA written by New-CasbSampleCertificate.</para>
/// </example>
/// <example>
/// <code>Add-CasbTrustedRoot -Path ./pki/*.cer, ./pki/chain.p7b -StorePath ./lab-store</code>
/// <para>Adds every .cer file of ./pki and the certificates of a PKCS#7 bundle to the store in ./lab-store.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem Cert:\CurrentUser\Root | Where-Object Subject -like '*Contoso*' | Add-CasbTrustedRoot</code>
/// <para>Adds CA certificates taken from a certificate store.</para>
/// </example>
[Cmdlet(VerbsCommon.Add, "CasbTrustedRoot", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(CasbTrustedRoot))]
public sealed class AddCasbTrustedRootCommand : CasbStoreCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string CertificateSet = "Certificate";

    /// <summary><para>Certificate files to add (PEM, DER .cer/.crt, PKCS#7 .p7b). Wildcards are allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary><para>Certificate files to add, taken exactly as typed (no wildcards).</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary><para>CA certificates to add, for example from Get-ChildItem Cert:\CurrentUser\Root.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = CertificateSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public X509Certificate2[] Certificate { get; set; } = Array.Empty<X509Certificate2>();

    /// <summary><para>Adds a CA even when it is expired or not yet valid.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case CertificateSet:
                foreach (X509Certificate2 certificate in Certificate)
                {
                    AddCertificates(new X509Certificate2Collection(certificate), source: null);
                }

                break;
            case LiteralPathSet:
                foreach (string literal in LiteralPath)
                {
                    AddFile(ResolveFileSystemPath(literal));
                }

                break;
            default:
                foreach (string path in Path)
                {
                    foreach (string file in ResolveFiles(path, "certificate file"))
                    {
                        AddFile(file);
                    }
                }

                break;
        }
    }

    private void AddFile(string file)
    {
        X509Certificate2Collection certificates;
        try
        {
            certificates = CertificateFile.Read(file);
        }
        catch (CasbException ex)
        {
            WriteCasbError(ex);
            return;
        }

        AddCertificates(certificates, file);
    }

    private void AddCertificates(X509Certificate2Collection certificates, string? source)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        try
        {
            foreach (X509Certificate2 certificate in certificates)
            {
                TrustedRootCatalog.EnsureCanBeTrusted(certificate, now, Force, source);
            }
        }
        catch (CasbException ex)
        {
            WriteCasbError(ex);
            return;
        }

        string target = source ?? certificates[0].Subject;
        string action = certificates.Count == 1
            ? $"Add trusted {TrustedRootCatalog.GetKind(certificates[0])} '{certificates[0].Subject}' ({certificates[0].Thumbprint})"
            : $"Add {certificates.Count} trusted CAs: {string.Join("; ", certificates.Select(c => c.Subject))}";
        if (!ShouldProcess(target, action))
        {
            return;
        }

        IReadOnlyList<TrustedRootAddResult> results = UpdateConfiguration(
            configuration => TrustedRootCatalog.Add(configuration, certificates, now, Force, source));
        foreach (TrustedRootAddResult result in results)
        {
            if (!result.Added)
            {
                WriteVerbose($"'{result.Entry.Subject}' ({result.Entry.Thumbprint}) is already trusted; nothing changed.");
            }

            WriteObject(new CasbTrustedRoot(result.Entry, Store.Location));
        }
    }
}
