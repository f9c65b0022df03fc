using System.Management.Automation;
using System.Net;
using System.Security;
using CasbCore.Certificates;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Writes a ready-made lab PKI: root and issuing CA, a client certificate, a gateway certificate and negative-test certificates.</para>
/// <para type="description">Creates fresh keys and writes them to a folder: root-ca.pem and intermediate-ca.pem (to add with Add-CasbTrustedRoot), ca-chain.pem, client.pfx (the device certificate with its chain, never a CA key) with client.pem and a legacy 3DES copy, gateway.pfx (TLS for localhost, 127.0.0.1 and ::1), and files for negative tests: expired-client.pfx, revoked-client.pfx with intermediate-ca.crl, untrusted-client.pfx with untrusted-root-ca.pem, and server-auth-only.pfx; root-ca.crl, an empty CRL of the root, lets the Required revocation mode establish the issuing CA's status. Public certificates are PEM, keys are in password-protected PFX files, readable by their owner only (mode 600 on Linux and macOS). Without -Password the PFX password is the lab default 'CasbLab!2026' (lab use only). Existing files are never overwritten unless -Force is given. Returns the files written.</para>
/// </summary>
/// <example>
/// <code>New-CasbSampleCertificate -OutputPath ./lab</code>
/// <para>Writes the lab into ./lab; the PFX password is CasbLab!2026.</para>
/// </example>
/// <example>
/// <code>New-CasbSampleCertificate ./lab -Password (Read-Host -AsSecureString) -UserPrincipalName alice@contoso.com -Force</code>
/// <para>Replaces the lab with a new one whose client certificate names alice@contoso.com, protected by a password of your choice.</para>
/// </example>
/// <example>
/// <code>New-CasbSampleCertificate ./lab | Where-Object Kind -eq RootCertificateAuthority | Add-CasbTrustedRoot</code>
/// <para>Creates the lab and trusts its root CA in the default store.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "CasbSampleCertificate", SupportsShouldProcess = true)]
[OutputType(typeof(CasbSampleCertificateFile))]
public sealed class NewCasbSampleCertificateCommand : CasbCmdlet
{
    /// <summary><para>The folder to write the lab into; created when missing.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string OutputPath { get; set; } = "";

    /// <summary><para>Password of the PFX files. Default: the lab password CasbLab!2026.</para></summary>
    [Parameter]
    public SecureString? Password { get; set; }

    /// <summary><para>The user principal name (and e-mail) the client certificate names. Default: vendor@contoso.com.</para></summary>
    [Parameter]
    [ValidatePattern(@"^[^@\s]+@[^@\s]+\z")]
    public string UserPrincipalName { get; set; } = "vendor@contoso.com";

    /// <summary><para>Overwrites lab files that already exist in the folder.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing()
    {
        string directory = ResolveFileSystemPath(OutputPath);
        if (File.Exists(directory))
        {
            ThrowError("OutputPathIsFile", ErrorCategory.InvalidArgument, $"'{directory}' is a file; give a folder for the lab certificates.", directory);
        }

        string[] existing = LabPkiFile.All.Select(f => Path.Combine(directory, f.Name)).Where(File.Exists).ToArray();
        if (existing.Length > 0 && !Force)
        {
            ThrowError(
                "SampleFileExists", ErrorCategory.ResourceExists,
                $"The lab folder '{directory}' already has {string.Join(", ", existing.Select(Path.GetFileName))}. Use -Force to overwrite them, or choose another folder.",
                directory);
        }

        if (!ShouldProcess(directory, $"Write {LabPkiFile.All.Count} lab certificate files{(existing.Length > 0 ? $", overwriting {existing.Length}" : "")}"))
        {
            return;
        }

        string password = Password is null ? LabPkiFile.DefaultPassword : new NetworkCredential(string.Empty, Password).Password;
        IReadOnlyList<string> written;
        try
        {
            using LabPki lab = LabPki.Create(UserPrincipalName);
            written = lab.WriteTo(directory, password);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowError("SampleWriteFailed", ErrorCategory.WriteError, $"Cannot write the lab certificates to '{directory}': {ex.Message}", directory, ex);
            return;
        }

        foreach (string path in written)
        {
            LabPkiFile file = LabPkiFile.Find(Path.GetFileName(path))
                ?? new LabPkiFile(Path.GetFileName(path), LabPkiFileKind.NegativeTest, "");
            WriteObject(new CasbSampleCertificateFile(file, path));
        }
    }
}
