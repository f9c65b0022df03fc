using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.SignIn;
using CasbCore.Store;

namespace CasbGateway.SignIn;

/// <summary>
/// The identity provider of one configuration revision with its secret read from the store's secrets file, and the
/// apps that sign users in. Built when the revision is loaded; a secret that is missing does not refuse the revision
/// (every other app keeps working) but makes sign-in fail closed with <see cref="Problem"/>.
/// </summary>
internal sealed class SignInState
{
    private SignInState(IdentityProviderEntry provider, AppMatcher apps, string? clientSecret, X509Certificate2? clientCertificate, string? problem)
    {
        Provider = provider;
        Apps = apps;
        ClientSecret = clientSecret;
        ClientCertificate = clientCertificate;
        AuthorityCertificate = IdentityProviderRules.ReadAuthorityCertificate(provider.AuthorityCertificate);
        Problem = problem;
        SessionLifetime = TimeSpan.FromMinutes(provider.SessionLifetimeMinutes);
        // What the OpenID Connect handler's options are built from: they are rebuilt only when this changes.
        Fingerprint = JsonSerializer.Serialize(provider, CasbStore.SerializerOptions);
    }

    public IdentityProviderEntry Provider { get; }

    /// <summary>The apps with SignIn Optional or Required, each answering on its host names at any path (for the /.casb/ endpoints).</summary>
    public AppMatcher Apps { get; }

    public string? ClientSecret { get; }

    public X509Certificate2? ClientCertificate { get; }

    public X509Certificate2? AuthorityCertificate { get; }

    /// <summary>Why nobody can sign in with this revision (its secret is missing or unreadable), or null.</summary>
    public string? Problem { get; }

    public TimeSpan SessionLifetime { get; }

    public string Fingerprint { get; }

    /// <summary>The sign-in state of a configuration, or null when it has no identity provider or no app signs users in.</summary>
    public static SignInState? Create(CasbConfiguration configuration, Func<StoreSecrets>? secrets)
    {
        if (configuration.IdentityProvider is not { } provider)
        {
            return null;
        }

        AppEntry[] apps = configuration.Apps.Where(a => a.SignIn != SignInMode.None)
            .Select(a => new AppEntry { Name = a.Name, Hostnames = a.Hostnames, PathPrefix = "/", SignIn = a.SignIn })
            .ToArray();
        if (apps.Length == 0)
        {
            return null;
        }

        StoreSecrets? store = secrets?.Invoke();
        string? secret = store?.Get(provider.ClientSecretId);
        X509Certificate2? certificate = null;
        string? problem = null;
        if (provider.ClientCertificateId is not null)
        {
            string? pkcs12 = store?.Get(provider.ClientCertificateId);
            try
            {
                certificate = pkcs12 is null ? null : X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(pkcs12), null);
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException)
            {
                problem = $"the client certificate in the store's secrets file cannot be read ({ex.Message}); run Set-CasbIdentityProvider -ClientCertificate again";
            }

            problem ??= certificate is null ? "the client certificate is missing from the store's secrets file; run Set-CasbIdentityProvider -ClientCertificate again" : null;
        }
        else if (secret is null)
        {
            problem = "the client secret is missing from the store's secrets file; run Set-CasbIdentityProvider -ClientSecret again";
        }

        return new SignInState(provider, new AppMatcher(apps), secret, certificate, problem);
    }
}
