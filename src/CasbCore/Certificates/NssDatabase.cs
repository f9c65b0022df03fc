using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CasbCore.Certificates;

/// <summary>
/// An NSS certificate database (cert9.db + key4.db, "sql:" format): where Chromium and Firefox look for client
/// certificates and locally trusted authorities on Linux (~/.pki/nssdb, or a Firefox profile folder). Changed only
/// through NSS's own tools, pk12util and certutil (Debian's libnss3-tools), so the browsers read exactly what NSS
/// wrote. Secrets never reach a command line: passwords go through files readable by the owner only, in a private
/// temporary folder that is deleted afterwards.
/// <para>Error ids (API): NssToolsMissing, NssDatabaseUnusable.</para>
/// </summary>
public sealed class NssDatabase
{
    public const string ToolsMissingErrorId = "NssToolsMissing";
    public const string UnusableErrorId = "NssDatabaseUnusable";

    /// <summary>The Debian/Ubuntu package with pk12util and certutil.</summary>
    public const string ToolsPackage = "libnss3-tools";

    /// <summary>How long one NSS tool may run; it never waits for input (standard input is closed), so this only stops a stuck one.</summary>
    public static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    private readonly string _pk12util;
    private readonly string _certutil;

    private NssDatabase(string path, string pk12util, string certutil)
    {
        Path = path;
        _pk12util = pk12util;
        _certutil = certutil;
    }

    /// <summary>The database folder.</summary>
    public string Path { get; }

    /// <summary>How NSS tools name the database: "sql:" + folder.</summary>
    public string DatabaseArgument => "sql:" + Path;

    /// <summary>The shared database Chromium (and Firefox, with its system NSS) read: $HOME/.pki/nssdb.</summary>
    public static string DefaultPath(string? home = null)
    {
        home ??= Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home))
        {
            home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        return System.IO.Path.Combine(home, ".pki", "nssdb");
    }

    /// <summary>
    /// Opens the database in <paramref name="path"/>, creating the folder and an empty database without a password when
    /// they are missing (what Chromium does on first start). Throws NssToolsMissing when pk12util/certutil are not on
    /// <paramref name="searchPath"/> (default: PATH), NssDatabaseUnusable when the folder cannot hold or open a database.
    /// </summary>
    public static NssDatabase Open(string path, string? searchPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.StartsWith("sql:", StringComparison.OrdinalIgnoreCase))
        {
            path = path[4..];
        }

        path = System.IO.Path.GetFullPath(path);
        (string pk12util, string certutil) = FindTools(searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "");
        var database = new NssDatabase(path, pk12util, certutil);
        database.EnsureCreated();
        return database;
    }

    /// <summary>
    /// Imports <paramref name="certificate"/> with its private key (the key must be exportable: load the PFX with
    /// <see cref="X509KeyStorageFlags.Exportable"/>). The certificate is re-exported in memory to a modern PFX
    /// (PBES2, AES-256, SHA-256) under a one-time password, so legacy RC2/3DES files import whatever the NSS version's
    /// policy says about RC2, and only this certificate (not the CA certificates bundled with it) is imported.
    /// </summary>
    public void ImportClientCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("The certificate has no private key.", nameof(certificate));
        }

        string oneTimePassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        byte[] pfx;
        try
        {
            pfx = certificate.ExportPkcs12(
                new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000), oneTimePassword);
        }
        catch (CryptographicException ex)
        {
            throw new CasbException(
                "PrivateKeyNotExportable", CasbErrorKind.InvalidOperation,
                $"The private key of '{certificate.Subject}' cannot be exported for the NSS database: {ex.Message}", certificate.Subject, ex);
        }

        using var scratch = new ScratchFolder();
        string pfxFile = scratch.Write("client.p12", pfx);
        string passwordFile = scratch.Write("pfx.pw", Encoding.UTF8.GetBytes(oneTimePassword));
        // An empty database password, from a file: a database with a password fails instead of prompting on a terminal.
        string databasePasswordFile = scratch.Write("db.pw", Array.Empty<byte>());
        ToolResult result = Run(_pk12util, "-i", pfxFile, "-d", DatabaseArgument, "-w", passwordFile, "-k", databasePasswordFile);
        if (result.ExitCode != 0)
        {
            throw Unusable(result.Output.Contains("SEC_ERROR_BAD_PASSWORD", StringComparison.Ordinal)
                ? $"the database '{Path}' is protected by a password, which CasbModule cannot supply. Import with pk12util -d {DatabaseArgument} yourself, or use a database without a password"
                : $"pk12util could not import '{certificate.Subject}' into '{Path}': {result.Summary}");
        }
    }

    /// <summary>
    /// Adds a public certificate. With <paramref name="trustForServerAuthentication"/> a CA certificate is trusted to
    /// issue TLS server certificates ("C,,"), and a self-signed server certificate is trusted as it is ("P,,", a
    /// trusted peer: NSS and Chromium refuse a non-CA certificate marked as a CA); without it the certificate is only
    /// known (",,"), which helps browsers build chains through an intermediate. Adding a certificate the database
    /// already has replaces its trust.
    /// </summary>
    /// <returns>The trust attributes set (certutil's SSL,S/MIME,code-signing notation).</returns>
    public string AddCertificate(X509Certificate2 certificate, bool trustForServerAuthentication)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string trust = !trustForServerAuthentication ? ",,"
            : CertificateExtensions.IsCertificateAuthority(certificate) ? "C,,"
            : "P,,";
        using var scratch = new ScratchFolder();
        string file = scratch.Write("certificate.cer", certificate.RawData);
        string databasePasswordFile = scratch.Write("db.pw", Array.Empty<byte>());
        ToolResult result = Run(_certutil, "-A", "-d", DatabaseArgument, "-n", Nickname(certificate), "-t", trust, "-i", file, "-f", databasePasswordFile);
        if (result.ExitCode != 0)
        {
            throw Unusable($"certutil could not add '{certificate.Subject}' to '{Path}': {result.Summary}");
        }

        return trust;
    }

    /// <summary>A nickname that is unique per certificate: its common name and the start of its thumbprint.</summary>
    public static string Nickname(X509Certificate2 certificate)
    {
        string name = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return $"{(string.IsNullOrWhiteSpace(name) ? "certificate" : name)} ({certificate.Thumbprint[..8]})";
    }

    private void EnsureCreated()
    {
        if (File.Exists(Path))
        {
            throw Unusable($"'{Path}' is a file, not a folder for an NSS database");
        }

        try
        {
            if (!System.IO.Directory.Exists(Path))
            {
                // Private keys live here: owner only, as Chromium creates it.
                OwnerOnly.CreateDirectory(Path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unusable($"cannot create the folder '{Path}': {ex.Message}", ex);
        }

        if (!File.Exists(System.IO.Path.Combine(Path, "cert9.db")))
        {
            ToolResult created = Run(_certutil, "-N", "-d", DatabaseArgument, "--empty-password");
            if (created.ExitCode != 0)
            {
                throw Unusable($"certutil could not create a database in '{Path}': {created.Summary}");
            }
        }

        ToolResult listed = Run(_certutil, "-L", "-d", DatabaseArgument);
        if (listed.ExitCode != 0)
        {
            throw Unusable($"'{Path}' does not hold a usable NSS database: {listed.Summary}");
        }
    }

    private static (string Pk12util, string Certutil) FindTools(string searchPath)
    {
        string suffix = OperatingSystem.IsWindows() ? ".exe" : "";
        foreach (string folder in searchPath.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            // certutil from pk12util's own folder: Windows has an unrelated certutil.exe on the PATH.
            string pk12util = System.IO.Path.Combine(folder, "pk12util" + suffix);
            string certutil = System.IO.Path.Combine(folder, "certutil" + suffix);
            if (File.Exists(pk12util) && File.Exists(certutil))
            {
                return (pk12util, certutil);
            }
        }

        throw new CasbException(
            ToolsMissingErrorId, CasbErrorKind.ObjectNotFound,
            $"Importing into an NSS database needs NSS's pk12util and certutil, which are not on the PATH. Install them: the package {ToolsPackage} on Debian and Ubuntu (apt-get install {ToolsPackage}), nss-tools on Fedora and RHEL, nss on macOS (Homebrew).",
            "pk12util");
    }

    private static ToolResult Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LC_ALL"] = "C";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("the process did not start");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw Unusable($"cannot run '{tool}': {ex.Message}", ex);
        }

        using (process)
        {
            process.StandardInput.Close();
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(ToolTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw Unusable($"'{System.IO.Path.GetFileName(tool)} {arguments[0]}' did not finish within {ToolTimeout.TotalSeconds:0} seconds");
            }

            process.WaitForExit();
            return new ToolResult(process.ExitCode, output.GetAwaiter().GetResult() + error.GetAwaiter().GetResult());
        }
    }

    private static CasbException Unusable(string why, Exception? inner = null) =>
        new(UnusableErrorId, CasbErrorKind.ResourceUnavailable, char.ToUpperInvariant(why[0]) + why[1..] + ".", null, inner);

    private sealed record ToolResult(int ExitCode, string Output)
    {
        /// <summary>The tool's own words, one line, for an error message.</summary>
        public string Summary => string.Join(" ", Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) is { Length: > 0 } text
            ? text
            : $"exit code {ExitCode}";
    }

    /// <summary>A private temporary folder (owner only) whose files are deleted with it.</summary>
    private sealed class ScratchFolder : IDisposable
    {
        private readonly DirectoryInfo _folder = System.IO.Directory.CreateTempSubdirectory("casb-nss-");

        public string Write(string name, byte[] content)
        {
            string file = System.IO.Path.Combine(_folder.FullName, name);
            using (var stream = new FileStream(file, OwnerOnly.FileOptions(FileMode.CreateNew, FileAccess.Write)))
            {
                stream.Write(content);
            }

            return file;
        }

        public void Dispose()
        {
            try
            {
                _folder.Delete(recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort: the folder is private to this user and holds only a one-time password.
            }
        }
    }
}
