using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace CasbCore.Certificates;

/// <summary>
/// A certificate store named the way PowerShell's Cert: drive names it ("Cert:\CurrentUser\My"), opened through
/// X509Store so it works on Linux and macOS too.
/// </summary>
public sealed partial record CertificateStoreLocation(StoreLocation Location, StoreName Name)
{
    public const string InvalidErrorId = "InvalidCertStoreLocation";
    public const string ReadOnlyErrorId = "CertStoreReadOnly";

    public static CertificateStoreLocation CurrentUserMy { get; } = new(StoreLocation.CurrentUser, StoreName.My);

    /// <summary>True for the stores that hold CA certificates (Root, CA, AuthRoot).</summary>
    public bool HoldsCertificateAuthorities => Name is StoreName.Root or StoreName.CertificateAuthority or StoreName.AuthRoot;

    /// <summary>The X509Store name for <see cref="Name"/> ("My", "Root", "CA", ...).</summary>
    public string StoreNameText => Name switch
    {
        StoreName.CertificateAuthority => "CA",
        _ => Name.ToString(),
    };

    public override string ToString() => $@"Cert:\{Location}\{StoreNameText}";

    /// <summary>Parses "Cert:\CurrentUser\My", "Cert:/LocalMachine/Root", "CurrentUser\CA" ...; throws InvalidCertStoreLocation.</summary>
    public static CertificateStoreLocation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Match match = LocationPattern().Match(text.Trim());
        if (match.Success
            && Enum.TryParse(match.Groups["location"].Value, ignoreCase: true, out StoreLocation location)
            && TryParseName(match.Groups["name"].Value, out StoreName name))
        {
            return new CertificateStoreLocation(location, name);
        }

        throw new CasbException(
            InvalidErrorId, CasbErrorKind.InvalidArgument,
            $@"'{text}' is not a certificate store location. Use Cert:\<CurrentUser|LocalMachine>\<My|Root|CA|TrustedPeople|...>, for example Cert:\CurrentUser\My.",
            text);
    }

    /// <summary>
    /// Adds <paramref name="certificate"/> (with its private key, if any) to the store. Throws CertStoreReadOnly when the
    /// platform does not allow writing there (every LocalMachine store on Linux).
    /// </summary>
    public void Add(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ThrowIfReadOnly();
        try
        {
            using var store = new X509Store(StoreNameText, Location);
            store.Open(OpenFlags.ReadWrite);
            store.Add(certificate);
        }
        catch (CryptographicException ex)
        {
            throw new CasbException(
                ReadOnlyErrorId, CasbErrorKind.PermissionDenied,
                $"Cannot write to the certificate store {this}: {ex.Message}{(Location == StoreLocation.LocalMachine ? " Use a Cert:\\CurrentUser store instead." : "")}",
                ToString(), ex);
        }
    }

    /// <summary>Throws CertStoreReadOnly up front where the platform is known to refuse writes (LocalMachine on Linux).</summary>
    public void ThrowIfReadOnly()
    {
        if (Location == StoreLocation.LocalMachine && OperatingSystem.IsLinux())
        {
            throw new CasbException(
                ReadOnlyErrorId, CasbErrorKind.PermissionDenied,
                $@"{this} is read-only on Linux (.NET exposes the machine stores read-only for every user). Import into Cert:\CurrentUser\{StoreNameText} instead.",
                ToString());
        }
    }

    private static bool TryParseName(string text, out StoreName name)
    {
        if (text.Equals("CA", StringComparison.OrdinalIgnoreCase) || text.Equals("Intermediate", StringComparison.OrdinalIgnoreCase))
        {
            name = StoreName.CertificateAuthority;
            return true;
        }

        return Enum.TryParse(text, ignoreCase: true, out name) && Enum.IsDefined(name) && !int.TryParse(text, out _);
    }

    [GeneratedRegex(@"^(?:cert:)?[\\/]*(?<location>[A-Za-z]+)[\\/]+(?<name>[A-Za-z]+)[\\/]*\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LocationPattern();
}
