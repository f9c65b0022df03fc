using System.Management.Automation;
using System.Net;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Certificates;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Imports a client certificate (PFX) or a CA certificate into a certificate store or an NSS database, on Windows, Linux and macOS.</para>
/// <para type="description">Works like Import-PfxCertificate, but on every platform (through .NET's X509Store): a PFX with its private key goes into Cert:\CurrentUser\My by default, so a browser or client can present it to the CASB gateway. Modern PFX files and legacy ones (RC2-40 / 3DES with a SHA-1 MAC, such as Microsoft's SampleClientCert.pfx) are read. A CA certificate file (.cer, .crt, .pem, .p7b) can be imported into Cert:\CurrentUser\Root the same way, which is the "import the root CA too" step on a test device. A client certificate must have a private key and must not be a CA; a Root or CA store accepts only CA certificates. Only the certificate with the private key is imported from a PFX (not the CA certificates bundled with it): import the root CA into Cert:\CurrentUser\Root separately. A PFX with several client certificates with keys is refused (PfxHasSeveralClientCertificates, naming them) rather than one of them imported by the file's order; a keyed CA certificate or one not for client authentication bundled with the client certificate does not hide it. A PFX whose private key belongs to another certificate is refused (PfxPrivateKeyMismatch): a browser presenting it would fail every handshake. A client certificate the gateway will never accept (no clientAuth extended key usage, reason NoClientAuthentication; or one that may sign certificates, NotEndEntity) is imported with a warning that names it and the reason, in the words of Test-CasbClientCertificate; use -WarningAction Stop to refuse it instead. On Linux the LocalMachine stores are read-only: use CurrentUser. On Windows, adding to a Root store shows a confirmation dialog. Files can be piped in: a bad file (missing, unreadable, wrong password, the wrong kind of certificate) is reported and the next ones are still imported; a target that cannot be used stops the command. Returns the imported certificate.</para>
/// <para type="description">Browsers on Linux (Chromium, Chrome, Edge, Firefox) do not read the .NET store: they read an NSS database. -CertStoreLocation Nss: imports into the one they share, ~/.pki/nssdb; -NssDatabase names another (a Firefox profile folder, say). The database is created, without a password, when it is missing. A PFX's keyed certificate is imported with its key (legacy PFX files too: the certificate is re-exported in memory to a modern PFX under a one-time password, passed to pk12util in a file only the user can read and deleted afterwards). A certificate file adds CA certificates; with -TrustServerAuthentication they are trusted to issue the server certificates of HTTPS sites (a self-signed server certificate, such as the gateway's own, is trusted as it is). Needs NSS's pk12util and certutil (package libnss3-tools on Debian and Ubuntu); error ids NssToolsMissing, NssDatabaseUnusable, PfxPasswordInvalid.</para>
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
/// <example>
/// <code>Import-CasbClientCertificate ./lab/client.pfx -Password (Read-Host -AsSecureString) -CertStoreLocation Nss:</code>
/// <para>On Linux: makes the client certificate available to Chromium and Firefox (the NSS database ~/.pki/nssdb).</para>
/// </example>
/// <example>
/// <code>Import-CasbClientCertificate ./gateway.cer -CertStoreLocation Nss: -TrustServerAuthentication</code>
/// <para>On Linux: makes Chromium trust the gateway's (self-signed) server certificate, or the CA that issued it.</para>
/// </example>
/// <example>
/// <code>Import-CasbClientCertificate ./lab/client.pfx -Password $pw -NssDatabase ~/.mozilla/firefox/abcd1234.default-release</code>
/// <para>Imports into one Firefox profile's own NSS database.</para>
/// </example>
[Cmdlet(VerbsData.Import, "CasbClientCertificate", SupportsShouldProcess = true, DefaultParameterSetName = CertStoreSet)]
[OutputType(typeof(X509Certificate2))]
public sealed class ImportCasbClientCertificateCommand : CasbCmdlet
{
    private const string CertStoreSet = "CertStore";
    private const string NssSet = "Nss";

    /// <summary>What -CertStoreLocation says for the NSS database browsers on Linux share (~/.pki/nssdb).</summary>
    public const string NssLocation = "Nss:";

    /// <summary><para>The PFX (.pfx, .p12) with the client certificate and key, or a CA certificate file (.cer, .crt, .pem, .p7b) for a Root or CA store or an NSS database.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "Path")]
    [ValidateNotNullOrEmpty]
    public string FilePath { get; set; } = "";

    /// <summary><para>The PFX password.</para></summary>
    [Parameter]
    public SecureString? Password { get; set; }

    /// <summary><para>The target store, as on the Cert: drive: Cert:\CurrentUser\My (default), Cert:\CurrentUser\Root, Cert:\LocalMachine\My, ...; or Nss: for the NSS database that Chromium and Firefox read on Linux (~/.pki/nssdb).</para></summary>
    [Parameter(ParameterSetName = CertStoreSet)]
    [ValidateNotNullOrEmpty]
    public string CertStoreLocation { get; set; } = @"Cert:\CurrentUser\My";

    /// <summary><para>The folder of an NSS database to import into (cert9.db and key4.db; created when missing), for example a Firefox profile folder. -CertStoreLocation Nss: means ~/.pki/nssdb.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = NssSet)]
    [ValidateNotNullOrEmpty]
    public string NssDatabase { get; set; } = "";

    /// <summary><para>NSS databases only: trusts the CA certificates in the file to issue HTTPS server certificates (a self-signed server certificate is trusted as it is). Without it, CA certificates are added untrusted, which only helps browsers build chains.</para></summary>
    [Parameter]
    public SwitchParameter TrustServerAuthentication { get; set; }

    /// <summary><para>Marks the private key exportable (Windows; keys are always exportable on Linux).</para></summary>
    [Parameter(ParameterSetName = CertStoreSet)]
    public SwitchParameter Exportable { get; set; }

    protected override void ProcessRecord()
    {
        string file = ResolveFileSystemPath(FilePath);
        try
        {
            Import(file);
        }
        catch (CasbException ex) when (ex.Target is string target && string.Equals(target, file, StringComparison.Ordinal))
        {
            // This file is bad (missing, unreadable, wrong password, the wrong kind of certificate): the next files are still imported.
            WriteCasbError(ex);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex); // the target itself (store location, NSS tools or database) is unusable for every file
        }
    }

    private void Import(string file)
    {
        // NSS tools' own "sql:" prefix is accepted too; it is no PowerShell drive.
        string? nssDatabase = ParameterSetName == NssSet
            ? ResolveFileSystemPath(NssDatabase.StartsWith("sql:", StringComparison.OrdinalIgnoreCase) ? NssDatabase[4..] : NssDatabase)
            : string.Equals(CertStoreLocation.Trim(), NssLocation, StringComparison.OrdinalIgnoreCase) ? CasbCore.Certificates.NssDatabase.DefaultPath()
            : null;
        if (nssDatabase is null && TrustServerAuthentication)
        {
            throw new CasbException(
                TrustNotApplicableErrorId, CasbErrorKind.InvalidArgument,
                $@"-TrustServerAuthentication is for NSS databases (-CertStoreLocation Nss: or -NssDatabase). To trust a CA in a certificate store, import it into Cert:\CurrentUser\Root.",
                CertStoreLocation);
        }

        // Parsed before the file is read, so a mistyped location is reported as such.
        CertificateStoreLocation? parsed = nssDatabase is null ? CertificateStoreLocation.Parse(CertStoreLocation) : null;
        if (!File.Exists(file))
        {
            throw new CasbException(
                CertificateFile.NotFoundErrorId, CasbErrorKind.ObjectNotFound, $"The certificate file '{file}' does not exist.", file);
        }

        if (parsed is not { } location)
        {
            ImportIntoNss(file, nssDatabase!);
            return;
        }

        if (!location.HoldsCertificateAuthorities)
        {
            // Read for the checks without persisting a key: a PersistKeySet load writes the key of every keyed entry of
            // the PFX to the user's key store at once (Windows), under -WhatIf or a refusal too. Only the certificate
            // imported is loaded again with its key persisted, past ShouldProcess.
            X509Certificate2 client = ReadClientCertificate(file, location.ToString(), EphemeralExportable);
            location.ThrowIfReadOnly();
            WarnIfTheGatewayRejects(client, file);
            if (ShouldProcess(location.ToString(), $"Import '{client.Subject}' ({client.Thumbprint}) from '{file}'"))
            {
                X509Certificate2 persisted = WithPersistedKey(client, StorageFlags(location));
                location.Add(persisted);
                WriteObject(persisted);
            }

            return;
        }

        IReadOnlyList<X509Certificate2> authorities = ReadAuthorities(file, location.ToString());
        location.ThrowIfReadOnly();
        foreach (X509Certificate2 certificate in authorities)
        {
            if (ShouldProcess(location.ToString(), $"Import '{certificate.Subject}' ({certificate.Thumbprint}) from '{file}'"))
            {
                location.Add(certificate);
                WriteObject(certificate);
            }
        }
    }

    // Exportable, so the key can be handed on (to a persisted copy, or to pk12util); ephemeral where the platform allows.
    private static X509KeyStorageFlags EphemeralExportable =>
        X509KeyStorageFlags.Exportable | (OperatingSystem.IsMacOS() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet);

    // The certificate and its key alone, re-exported in memory under a one-time password and loaded with the store's flags.
    private static X509Certificate2 WithPersistedKey(X509Certificate2 certificate, X509KeyStorageFlags flags)
    {
        string password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        byte[] pfx = certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
        return X509CertificateLoader.LoadPkcs12(pfx, password, flags);
    }

    /// <summary>
    /// NSS: a PFX's keyed certificate with its key (pk12util), or the certificates of a certificate file (certutil),
    /// trusted for server authentication on request. The database is opened (and created) only past ShouldProcess.
    /// </summary>
    private void ImportIntoNss(string file, string databasePath)
    {
        string target = $"NSS database {databasePath}";
        CasbCore.Certificates.NssDatabase? database = null;
        CasbCore.Certificates.NssDatabase Database() => database ??= CasbCore.Certificates.NssDatabase.Open(databasePath);
        if (CertificateFile.IsPkcs12(ReadHead(file)))
        {
            if (TrustServerAuthentication)
            {
                throw new CasbException(
                    TrustNotApplicableErrorId, CasbErrorKind.InvalidArgument,
                    $"-TrustServerAuthentication trusts CA certificates from a certificate file (.cer, .crt, .pem, .p7b); '{file}' is a PFX, whose client certificate is never trusted to identify servers.",
                    file);
            }

            X509Certificate2 certificate = ReadClientCertificate(file, target, EphemeralExportable);
            WarnIfTheGatewayRejects(certificate, file);
            if (ShouldProcess(target, $"Import '{certificate.Subject}' ({certificate.Thumbprint}) with its private key from '{file}'"))
            {
                Database().ImportClientCertificate(certificate);
                WriteObject(X509CertificateLoader.LoadCertificate(certificate.RawData));
            }

            return;
        }

        X509Certificate2Collection certificates = CertificateFile.Read(file);
        foreach (X509Certificate2 certificate in certificates)
        {
            bool authority = TrustedRootCatalog.IsCertificateAuthority(certificate);
            bool selfSigned = certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
            if (!authority && !(TrustServerAuthentication && selfSigned))
            {
                throw new CasbException(
                    TrustedRootCatalog.NotACertificateAuthorityErrorId, CasbErrorKind.InvalidData,
                    $"'{certificate.Subject}' in '{file}' is not a certificate authority. An NSS database takes client certificates from a PFX with their key; a self-signed server certificate needs -TrustServerAuthentication; a server certificate issued by a CA is trusted through that CA.",
                    file);
            }
        }

        foreach (X509Certificate2 certificate in certificates)
        {
            string how = TrustServerAuthentication ? "trusted for server authentication" : "untrusted, for chain building";
            if (ShouldProcess(target, $"Add '{certificate.Subject}' ({certificate.Thumbprint}) from '{file}', {how}"))
            {
                Database().AddCertificate(certificate, TrustServerAuthentication);
                WriteObject(certificate);
            }
        }
    }

    private X509KeyStorageFlags StorageFlags(CertificateStoreLocation location) =>
        X509KeyStorageFlags.PersistKeySet
        | (location.Location == StoreLocation.LocalMachine ? X509KeyStorageFlags.MachineKeySet : X509KeyStorageFlags.UserKeySet)
        | (Exportable ? X509KeyStorageFlags.Exportable : X509KeyStorageFlags.DefaultKeySet);

    private X509Certificate2 ReadClientCertificate(string file, string location, X509KeyStorageFlags flags)
    {
        if (!CertificateFile.IsPkcs12(ReadHead(file)))
        {
            X509Certificate2Collection publicOnly = CertificateFile.Read(file);
            throw NoPrivateKey(file, $"'{file}' holds only the public certificate '{publicOnly[0].Subject}'; a client certificate for {location} needs its private key: import the PFX.");
        }

        X509Certificate2Collection all = CertificateFile.ReadPkcs12(file, PlainPassword(), flags);
        X509Certificate2? withKey = ClientCertificateFile.Select(all, file, keyedOnly: true);
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

    /// <summary>
    /// A certificate the gateway never accepts as a client certificate (no clientAuth extended key usage, or one that may
    /// sign certificates) is still imported, as Import-PfxCertificate would: the device's store is not the CASB's, and the
    /// certificate may serve something else there. But the admin is told, in the validator's own words, before it happens
    /// (so under -WhatIf too); -WarningAction Stop makes it fatal.
    /// </summary>
    private void WarnIfTheGatewayRejects(X509Certificate2 certificate, string file)
    {
        foreach (CertificateFailure failure in CertificateValidator.ClientUsageFailures(certificate))
        {
            WriteWarning(
                $"'{certificate.Subject}' ({certificate.Thumbprint}) from '{file}' is imported, but the CASB gateway will block every request that presents it (reason {failure.Reason}): {failure.Message}");
        }
    }

    private IReadOnlyList<X509Certificate2> ReadAuthorities(string file, string location)
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

    /// <summary>-TrustServerAuthentication where it means nothing: a certificate store, or a PFX.</summary>
    public const string TrustNotApplicableErrorId = "TrustServerAuthenticationNotApplicable";

    private string? PlainPassword() => Password is null ? null : new NetworkCredential(string.Empty, Password).Password;

    private static CasbException NoPrivateKey(string file, string message) =>
        new("PfxHasNoPrivateKey", CasbErrorKind.InvalidData, message, file);
}
