using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace CasbCore.SignIn;

/// <summary>
/// How the gateway and the cmdlets trust the identity provider's TLS certificate: the operating system's roots, as
/// any HTTPS client (this is the provider's server, not a device), or, when the provider has an authority
/// certificate, that CA alone (custom root trust: the OS store is then not consulted). One handler for the metadata
/// check at Set- time and for the gateway's back channel, so both accept the same servers.
/// </summary>
public static class AuthorityTrust
{
    public static SocketsHttpHandler CreateHandler(X509Certificate2? authorityCertificate, TimeSpan connectTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = true,
            AllowAutoRedirect = false,
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (authorityCertificate is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                IsTrusted(certificate as X509Certificate2, errors, authorityCertificate);
        }

        return handler;
    }

    /// <summary>True when <paramref name="server"/> chains to <paramref name="root"/> alone and matches the host name.</summary>
    public static bool IsTrusted(X509Certificate2? server, SslPolicyErrors errors, X509Certificate2 root)
    {
        if (server is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1"));
        return chain.Build(server);
    }
}
