using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CasbGateway.Hosting;

/// <summary>The gateway's TLS server certificate: the one given, or a self-signed localhost one created once in the store.</summary>
internal static class ServerCertificate
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    public static string DefaultPath(string storePath) => Path.Combine(storePath, "gateway", "server.pfx");

    public static X509Certificate2 Load(GatewayOptions options, CasbCore.Store.IConfigurationStore store)
    {
        if (options.CertificatePath is { } path)
        {
            if (!File.Exists(path))
            {
                throw new GatewayStartupException($"The server certificate file '{path}' does not exist.");
            }

            X509Certificate2 certificate;
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
            }
            catch (CryptographicException ex)
            {
                throw new GatewayStartupException(
                    $"Cannot read the server certificate '{path}': {ex.Message} (wrong password in ${GatewayOptions.CertificatePasswordVariable} or ${GatewayOptions.CertificatePasswordFileVariable}?)", ex);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new GatewayStartupException($"Cannot read the server certificate '{path}': {GatewayStartupException.Cause(ex)}", ex);
            }

            if (!certificate.HasPrivateKey)
            {
                throw new GatewayStartupException($"The server certificate '{path}' has no private key.");
            }

            return certificate;
        }

        if (store is not CasbCore.Store.CasbStore)
        {
            return LoadOrCreateShared(store);
        }

        string selfSigned = DefaultPath(options.StorePath);
        try
        {
            return LoadOrCreateSelfSigned(selfSigned);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new GatewayStartupException(
                $"Cannot create the self-signed server certificate '{selfSigned}': {GatewayStartupException.Cause(ex)} (or give one with --certificate)", ex);
        }
    }

    /// <summary>
    /// The self-signed certificate of a database store, one for every gateway on it: the first gateway's is kept (a
    /// gateway that loses the race to create it takes the winner's), and one near expiry is replaced.
    /// </summary>
    public static X509Certificate2 LoadOrCreateShared(CasbCore.Store.IConfigurationStore store)
    {
        try
        {
            return EnsureShared(store, served: null)!.Value.Certificate;
        }
        catch (CasbCore.CasbException ex)
        {
            throw new GatewayStartupException(
                $"Cannot read or create the self-signed server certificate in the store '{store.Location}': {ex.Message} (or give one with --certificate)", ex);
        }
    }

    /// <summary>
    /// The store's shared self-signed certificate, made anew when it is missing, unreadable or near expiry; null when it
    /// is still <paramref name="served"/> (the PFX served now) and not near expiry. Gateways that renew at the same moment each make
    /// one, but only the first add (or the first replace of the expiring one) lands: the others find theirs refused
    /// and take what the store holds, so every gateway ends on one certificate. Throws the store's CasbException.
    /// </summary>
    public static (X509Certificate2 Certificate, byte[] Pfx)? EnsureShared(CasbCore.Store.IConfigurationStore store, (X509Certificate2 Certificate, byte[] Pfx)? served)
    {
        const string name = CasbCore.Store.StoreBlobNames.ServerCertificate;
        byte[]? stored = store.ReadBlob(name);
        if (stored is not null && served is { } now && stored.AsSpan().SequenceEqual(now.Pfx) && !NearExpiry(now.Certificate))
        {
            return null;
        }

        if (TryLoadUsable(stored) is { } existing)
        {
            return (existing, stored!);
        }

        byte[] pfx = CreateSelfSignedPfx();
        bool landed = stored is null ? store.TryAddBlob(name, pfx) : store.TryReplaceBlob(name, stored, pfx);
        if (!landed && store.ReadBlob(name) is { } winner && TryLoadUsable(winner) is { } theirs)
        {
            return (theirs, winner);
        }

        // Ours landed (or the winner's cannot be read, which the next look replaces): serve ours.
        return (X509CertificateLoader.LoadPkcs12(pfx, null), pfx);
    }

    /// <summary>Replaced from a week before it expires, so that no client ever meets an expired certificate.</summary>
    public static bool NearExpiry(X509Certificate2 certificate) => certificate.NotAfter.ToUniversalTime() <= DateTime.UtcNow.AddDays(7);

    private static X509Certificate2? TryLoadUsable(byte[]? pfx)
    {
        if (pfx is null)
        {
            return null;
        }

        try
        {
            X509Certificate2 existing = X509CertificateLoader.LoadPkcs12(pfx, null);
            if (existing.HasPrivateKey && !NearExpiry(existing))
            {
                return existing;
            }

            existing.Dispose();
        }
        catch (CryptographicException)
        {
            // Unreadable: replaced.
        }

        return null;
    }

    public static X509Certificate2 LoadOrCreateSelfSigned(string path)
    {
        if (File.Exists(path))
        {
            try
            {
                X509Certificate2 existing = X509CertificateLoader.LoadPkcs12FromFile(path, null);
                if (existing.HasPrivateKey && !NearExpiry(existing))
                {
                    return existing;
                }

                existing.Dispose();
            }
            catch (CryptographicException)
            {
                // Unreadable: replaced below.
            }
        }

        byte[] pfx = CreateSelfSignedPfx();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var stream = new FileStream(temp, CasbCore.OwnerOnly.FileOptions(FileMode.CreateNew, FileAccess.Write)))
        {
            stream.Write(pfx);
        }

        File.Move(temp, path, overwrite: true);
        return X509CertificateLoader.LoadPkcs12(pfx, null);
    }

    private static byte[] CreateSelfSignedPfx()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost, O=CasbGateway self-signed", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(ServerAuthOid) }, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        return created.Export(X509ContentType.Pfx);
    }
}
