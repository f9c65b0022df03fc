using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;

namespace CasbGateway.Hosting;

/// <summary>
/// The chain policy of the TLS handshake's own look at a client certificate. SslStream builds an X509Chain for every
/// certificate a client presents, only to compute the policy errors it hands to the validation callback; by default
/// against the OS trust store, with certificate downloads on. The gateway's callback accepts every certificate and
/// never reads that chain or those errors: the engine validates the certificate against the store's trusted roots,
/// CRLs and rules on every request (<c>CertificateValidator</c>). So the handshake's build trusts nothing (an empty
/// custom root store), checks no revocation and downloads nothing: it reaches neither the network nor the OS store.
/// </summary>
internal static class ClientCertificateHandshake
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>The policy SslStream copies for each handshake (it clones it: shared, it is never changed).</summary>
    internal static X509ChainPolicy Policy { get; } = CreatePolicy();

    /// <summary>Kestrel's per-connection hook (<c>HttpsConnectionAdapterOptions.OnAuthenticate</c>).</summary>
    public static void Configure(ConnectionContext connection, SslServerAuthenticationOptions options) =>
        options.CertificateChainPolicy = Policy;

    private static X509ChainPolicy CreatePolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
            VerificationTimeIgnored = true,
        };

        // What SslStream would add itself when the list is empty; set here so that it never has to.
        policy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        return policy;
    }
}
