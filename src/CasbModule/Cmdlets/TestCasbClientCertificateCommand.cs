using System.Management.Automation;
using System.Net;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Checks whether a client certificate earns the "Valid client certificate" device tag.</para>
/// <para type="description">Validates a client certificate exactly as the gateway does: it must chain to one of the store's trusted roots (through the store's intermediates only; the operating system's trust store is never used), be within its validity period at the time checked, be an end-entity certificate that allows client authentication (and every CA that lists extended key usages must list client authentication), use strong keys and signatures (RSA 2048, P-256, SHA-256 and up unless the store allows weak certificate cryptography), name its user in a well-formed UPN or e-mail name that every CA's name constraints permit, and pass revocation checking per the store's revocation mode (stored CRLs first, then the certificate's CRL distribution points; a certificate any CRL lists is revoked, even once that CRL is past its nextUpdate). Returns a CasbCertificateValidation object with IsValid, the device tags earned, every failure reason with a message, the chain and the principal the certificate names (UPN, else e-mail, else subject CN). An invalid certificate is not an error: the object says why. Errors are only for files that cannot be read.</para>
/// </summary>
/// <example>
/// <code>Test-CasbClientCertificate -Path ./client.pfx -Password (Read-Host -AsSecureString 'PFX password')</code>
/// <para>Checks the client certificate in a PFX file against the default store.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem Cert:\CurrentUser\My | Test-CasbClientCertificate | Format-Table</code>
/// <para>Checks every certificate of the user's personal store and shows which would be trusted.</para>
/// </example>
/// <example>
/// <code>Test-CasbClientCertificate -Path ./client.pem -At (Get-Date).AddDays(30) | Format-List</code>
/// <para>Checks whether the certificate will still be valid in 30 days, with all details.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Test, "CasbClientCertificate", DefaultParameterSetName = PathSet)]
[OutputType(typeof(CasbCertificateValidation))]
public sealed class TestCasbClientCertificateCommand : CasbStoreCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string CertificateSet = "Certificate";

    private CertificateValidator? _validator;

    /// <summary><para>The certificate to check, for example from Get-ChildItem Cert:\CurrentUser\My.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = CertificateSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public X509Certificate2? Certificate { get; set; }

    /// <summary><para>Certificate files to check: PKCS#12 (.pfx/.p12), PEM, or DER (.cer/.crt). Wildcards are allowed.</para></summary>
    // Not from the pipeline: the default set must not claim piped certificates (they go to -Certificate).
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [Alias("FilePath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary><para>Certificate files to check, taken exactly as typed; binds the files Get-ChildItem pipes in.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary><para>The password of a PKCS#12 (.pfx) file.</para></summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public SecureString? Password { get; set; }

    /// <summary><para>The time to check the certificate at. Default: now.</para></summary>
    [Parameter]
    public DateTime At { get; set; }

    protected override void BeginProcessing()
    {
        CasbConfiguration configuration = LoadConfiguration();
        _validator = new CertificateValidator(configuration);
    }

    protected override void ProcessRecord()
    {
        DateTimeOffset at = MyInvocation.BoundParameters.ContainsKey(nameof(At)) ? new DateTimeOffset(At) : DateTimeOffset.UtcNow;
        if (ParameterSetName == CertificateSet)
        {
            WriteObject(new CasbCertificateValidation(_validator!.Validate(Certificate, at), _validator.Configuration.Settings.RevocationMode, source: null, Store.Location));
            return;
        }

        string? password = Password is null ? null : new NetworkCredential(string.Empty, Password).Password;
        IEnumerable<string> files = ParameterSetName == LiteralPathSet
            ? LiteralPath.Select(ResolveFileSystemPath)
            : Path.SelectMany(ResolveFiles);
        foreach (string file in files)
        {
            X509Certificate2 certificate;
            try
            {
                certificate = ClientCertificateFile.Load(file, password);
            }
            catch (CasbException ex)
            {
                WriteCasbError(ex);
                continue;
            }

            using (certificate)
            {
                WriteObject(new CasbCertificateValidation(_validator!.Validate(certificate, at), _validator.Configuration.Settings.RevocationMode, file, Store.Location));
            }
        }
    }

    private IEnumerable<string> ResolveFiles(string path) =>
        WildcardPattern.ContainsWildcardCharacters(path)
            ? ResolveFiles(path, "certificate file")
            : new[] { ResolveFileSystemPath(path) }; // a missing file is reported by the loader, naming it
}
