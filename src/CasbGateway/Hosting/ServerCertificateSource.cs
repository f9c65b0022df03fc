using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Store;

namespace CasbGateway.Hosting;

/// <summary>
/// The server certificate each TLS handshake presents, followed while the gateway runs: the store's shared certificate
/// (renewed near expiry by whichever gateway looks first, or replaced in the store by an admin) or the --certificate file
/// (a Kubernetes Secret or a renewal tool rewriting it). <see cref="Refresh"/> runs on every look the configuration
/// monitor takes at the store (its change hint and its poll), so every replica serves a changed certificate within that
/// time and without a restart. A certificate that cannot be used (unreadable, no private key, wrong password) is
/// refused and the current one keeps serving. The certificate context (its chain) is built once per certificate, not
/// per handshake; connections already open keep the certificate they started with.
/// </summary>
internal sealed partial class ServerCertificateSource
{
    private readonly GatewayOptions _options;
    private readonly IConfigurationStore _store;
    private readonly ILogger<ServerCertificateSource> _logger;
    private readonly object _refreshLock = new();
    private Served _served;
    private byte[]? _refused;
    private string? _notChecked;

    public ServerCertificateSource(X509Certificate2 initial, GatewayOptions options, IConfigurationStore store, ILogger<ServerCertificateSource> logger)
    {
        _options = options;
        _store = store;
        _logger = logger;
        _served = new Served(initial, SslStreamCertificateContext.Create(initial, additionalCertificates: null), Pfx: null);
    }

    /// <summary>The certificate presented now.</summary>
    public X509Certificate2 Certificate => Volatile.Read(ref _served).Certificate;

    /// <summary>Sets the current certificate on a handshake's options (Kestrel's OnAuthenticate).</summary>
    public void Apply(SslServerAuthenticationOptions options)
    {
        Served served = Volatile.Read(ref _served);
        options.ServerCertificate = served.Certificate;
        options.ServerCertificateContext = served.Context;
    }

    /// <summary>Looks at the certificate's origin and swaps in a changed one; renews the store's shared one near expiry.</summary>
    public void Refresh()
    {
        lock (_refreshLock)
        {
            Served served = _served;
            try
            {
                (X509Certificate2 Certificate, byte[] Pfx)? next = _options.CertificatePath is { } path ? ReadFile(path, served) : ReadStore(served);
                _notChecked = null;
                if (next is { } found)
                {
                    Swap(served, found.Certificate, found.Pfx);
                }
            }
            catch (CasbException ex)
            {
                // The database is away: the current certificate keeps serving, and the next look tries again (logged once).
                if (_notChecked != ex.Message)
                {
                    _notChecked = ex.Message;
                    LogNotChecked(_store.Location, ex.Message);
                }
            }
        }
    }

    private (X509Certificate2, byte[])? ReadStore(Served served) =>
        ServerCertificate.EnsureShared(_store, served.Pfx is null ? null : (served.Certificate, served.Pfx));

    private (X509Certificate2, byte[])? ReadFile(string path, Served served)
    {
        byte[] pfx;
        try
        {
            pfx = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Mid-rewrite (a Secret's files are swapped by a rename), or gone: the current one keeps serving.
            return null;
        }

        if ((served.Pfx is not null && pfx.AsSpan().SequenceEqual(served.Pfx)) || (_refused is not null && pfx.AsSpan().SequenceEqual(_refused)))
        {
            return null;
        }

        try
        {
            X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12(pfx, _options.CertificatePassword);
            if (certificate.HasPrivateKey)
            {
                return (certificate, pfx);
            }

            certificate.Dispose();
            Refuse(pfx, path, "it has no private key");
        }
        catch (CryptographicException ex)
        {
            Refuse(pfx, path, $"{ex.Message} (wrong password in ${GatewayOptions.CertificatePasswordVariable} or ${GatewayOptions.CertificatePasswordFileVariable}?)");
        }

        return null;
    }

    private void Swap(Served served, X509Certificate2 certificate, byte[] pfx)
    {
        _refused = null;
        if (certificate.Thumbprint == served.Certificate.Thumbprint)
        {
            // The one served already (its bytes were not known yet, or only re-encoded): nothing to swap.
            Volatile.Write(ref _served, served with { Pfx = pfx });
            certificate.Dispose();
            return;
        }

        var next = new Served(certificate, SslStreamCertificateContext.Create(certificate, additionalCertificates: null), pfx);
        Volatile.Write(ref _served, next);
        LogSwapped(certificate.Thumbprint, certificate.NotAfter.ToUniversalTime(), served.Certificate.Thumbprint);
        // The previous certificate is not disposed: handshakes that took it a moment ago may still be using its key.
    }

    private void Refuse(byte[] pfx, string path, string reason)
    {
        _refused = pfx;
        LogRefused(path, reason, Certificate.Thumbprint);
    }

    private sealed record Served(X509Certificate2 Certificate, SslStreamCertificateContext Context, byte[]? Pfx);

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Server certificate {Thumbprint} (expires {NotAfter:u}) is served from now on; it replaces {Previous}.")]
    private partial void LogSwapped(string thumbprint, DateTime notAfter, string previous);

    [LoggerMessage(EventId = 31, Level = LogLevel.Error, Message = "The server certificate in '{Path}' was refused: {Reason}; {Thumbprint} keeps serving.")]
    private partial void LogRefused(string path, string reason, string thumbprint);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "The server certificate in the store '{Store}' could not be checked: {Reason}; the current one keeps serving.")]
    private partial void LogNotChecked(string store, string reason);
}
