using System.Management.Automation;
using System.Net;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Certificates;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Imports a client certificate (PFX) or a CA certificate into a certificate store, on Windows, Linux and macOS.</para>
/// <para type="description">Works like Import-PfxCertificate, but on every platform (through .NET's X509Store): a PFX with its private key goes into Cert:\CurrentUser\My by default, so a browser or client can present it to the CASB gateway. Modern PFX files and legacy ones (RC2-40 / 3DES with a SHA-1 MAC, such as Microsoft's SampleClientCert.pfx) are read. A CA certificate file (.cer, .crt, .pem, .p7b) can be imported into Cert:\CurrentUser\Root the same way, which is the "import the root CA too" step on a test device. A client certificate must have a private key and must not be a CA; a Root or CA store accepts only CA certificates. Only the certificate with the private key is imported from a PFX (not the CA certificates bundled with it): import the root CA into Cert:\CurrentUser\Root separately. On Linux the LocalMachine stores are read-only: use CurrentUser. On Windows, adding to a Root store shows a confirmation dialog. Returns the imported certificate.</para>
/// </summary>
/// <example>
/// <code>Import-CasbClientCertificate -FilePath ./lab/client.pfx -Password (Read-Host -AsSecureString)</code>
/// <para>Imports the lab client certificate and its private key into Cert:\CurrentUser\My.</para>
/// </example>
/// <example>
/// <code>Import-CasbClientCertificate ./lab/root-ca.pem -CertStoreLocation Cert:\CurrentUser\Root</code>
/// <para>Trusts the lab root CA on this device.</para>
/// </example>
/// <example>
/// <code>Import-CasbClientCertificate ./SampleClientCert.pfx -Password (ConvertTo-SecureString Microsoft -AsPlainText -Force) -Exportable</code>
/// <para>Imports Microsoft's legacy-format sample client certificate with an exportable private key.</para>
/// </example>
[Cmdlet(VerbsData.Import, "CasbClientCertificate", SupportsShouldProcess = true)]
[OutputType(typeof(X509Certificate2))]
public sealed class ImportCasbClientCertificateCommand : CasbCmdlet
{
    /// <summary><para>The PFX (.pfx, .p12) with the client certificate and key, or a CA certificate file (.cer, .crt, .pem, .p7b) for a Root or CA store.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "Path")]
    [ValidateNotNullOrEmpty]
    public string FilePath { get; set; } = "";

    /// <summary><para>The PFX password.</para></summary>
    [Parameter]
    public SecureString? Password { get; set; }

    /// <summary><para>The target store, as on the Cert: drive: Cert:\CurrentUser\My (default), Cert:\CurrentUser\Root, Cert:\LocalMachine\My, ...</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string CertStoreLocation { get; set; } = @"Cert:\CurrentUser\My";

    /// <summary><para>Marks the private key exportable (Windows; keys are always exportable on Linux).</para></summary>
    [Parameter]
    public SwitchParameter Exportable { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            Import();
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }
    }

    private void Import()
    {
        CertificateStoreLocation location = CertificateStoreLocation.Parse(CertStoreLocation);
        string file = ResolveFileSystemPath(FilePath);
        if (!File.Exists(file))
        {
            throw new CasbException(
                CertificateFile.NotFoundErrorId, CasbErrorKind.ObjectNotFound, $"The certificate file '{file}' does not exist.", file);
        }

        IReadOnlyList<X509Certificate2> certificates = location.HoldsCertificateAuthorities
            ? ReadAuthorities(file, location)
            : new[] { ReadClientCertificate(file, location) };
        location.ThrowIfReadOnly();

        foreach (X509Certificate2 certificate in certificates)
        {
            if (ShouldProcess(location.ToString(), $"Import '{certificate.Subject}' ({certificate.Thumbprint}) from '{file}'"))
            {
                location.Add(certificate);
                WriteObject(certificate);
            }
        }
    }

    private X509Certificate2 ReadClientCertificate(string file, CertificateStoreLocation location)
    {
        if (!CertificateFile.IsPkcs12(ReadHead(file)))
        {
            X509Certificate2Collection publicOnly = CertificateFile.Read(file);
            throw NoPrivateKey(file, $"'{file}' holds only the public certificate '{publicOnly[0].Subject}'; a client certificate for {location} needs its private key: import the PFX.");
        }

        X509KeyStorageFlags flags = X509KeyStorageFlags.PersistKeySet
            | (location.Location == StoreLocation.LocalMachine ? X509KeyStorageFlags.MachineKeySet : X509KeyStorageFlags.UserKeySet)
            | (Exportable ? X509KeyStorageFlags.Exportable : X509KeyStorageFlags.DefaultKeySet);
        X509Certificate2Collection all = CertificateFile.ReadPkcs12(file, PlainPassword(), flags);
        X509Certificate2? withKey = all.FirstOrDefault(c => c.HasPrivateKey);
        if (withKey is null)
        {
            throw NoPrivateKey(file, $"The PFX '{file}' contains no private key, so it cannot serve as a client certificate. Export it again with its key.");
        }

        if (TrustedRootCatalog.IsCertificateAuthority(withKey))
        {
            throw new CasbException(
                "NotAClientCertificate", CasbErrorKind.InvalidData,
                $"'{withKey.Subject}' in '{file}' is a certificate authority (CA=true), not a client certificate. Import CA certificates into Cert:\\CurrentUser\\Root or add them with Add-CasbTrustedRoot.",
                file);
        }

        return withKey;
    }

    private IReadOnlyList<X509Certificate2> ReadAuthorities(string file, CertificateStoreLocation location)
    {
        X509Certificate2Collection certificates = CertificateFile.IsPkcs12(ReadHead(file))
            ? CertificateFile.ReadPkcs12(file, PlainPassword(), X509KeyStorageFlags.DefaultKeySet)
            : CertificateFile.Read(file);
        X509Certificate2? leaf = certificates.FirstOrDefault(c => !TrustedRootCatalog.IsCertificateAuthority(c));
        if (leaf is not null)
        {
            throw new CasbException(
                TrustedRootCatalog.NotACertificateAuthorityErrorId, CasbErrorKind.InvalidData,
                $"'{leaf.Subject}' in '{file}' is not a certificate authority; {location} holds CA certificates only. Import client certificates into Cert:\\CurrentUser\\My.",
                file);
        }

        // A CA store never needs a CA's key: the public certificate is what a device trusts.
        return certificates.Select(c => X509CertificateLoader.LoadCertificate(c.RawData)).ToList();
    }

    private static byte[] ReadHead(string file)
    {
        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CasbException(
                CertificateFile.UnreadableErrorId, CasbErrorKind.ReadError, $"Cannot read the certificate file '{file}': {ex.Message}", file, ex);
        }
    }

    private string? PlainPassword() => Password is null ? null : new NetworkCredential(string.Empty, Password).Password;

    private static CasbException NoPrivateKey(string file, string message) =>
        new("PfxHasNoPrivateKey", CasbErrorKind.InvalidData, message, file);
}
