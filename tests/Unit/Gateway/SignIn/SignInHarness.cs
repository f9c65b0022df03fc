using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.SignIn;
using CasbTestIdentityProvider;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>
/// A real OpenID Connect provider (the test identity provider: OpenIddict on loopback port 0 with its own TLS
/// certificate) and a real gateway whose store signs users in with it for the app "Sample App", with the lab's CAs
/// trusted. The store: group Vendors (from the token) and Trusted; conditional access "Vendors via App Control" for
/// everyone but Trusted; access policy "Require certificate" blocking browsers without a valid certificate.
/// </summary>
internal sealed partial class SignInHarness : IAsyncDisposable
{
    public const string Vendor = "vendor@fabrikam.com";
    public const string Admin = "admin@contoso.com";
    public const string BlockMessage = SeedPolicies.BlockMessage;
    public const string ProviderName = "Test IdP";
    public const string Edge =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0";

    private readonly bool _ownsIdp;

    private SignInHarness(TestIdentityProvider idp, GatewayHarness gateway, ShiftedTime time, bool ownsIdp)
    {
        Idp = idp;
        Gateway = gateway;
        Time = time;
        _ownsIdp = ownsIdp;
    }

    /// <summary>The users every test identity provider here knows.</summary>
    public static TestIdentityProviderOptions IdpOptions => new()
    {
        Users = [new TestUser(Vendor, ["Vendors"]), new TestUser(Admin, ["Trusted"]), new TestUser("nogroups@fabrikam.com", [])],
    };

    public TestIdentityProvider Idp { get; }

    public GatewayHarness Gateway { get; }

    /// <summary>The gateway's clock (its cookie handler reads it).</summary>
    public ShiftedTime Time { get; }

    /// <param name="fixture">The lab PKI and the identity provider shared by a test class (the gateway is registered with it).</param>
    /// <param name="mode">The app's sign-in setting.</param>
    /// <param name="configure">Changes the store after the identity provider is set.</param>
    /// <param name="identityProviderDown">Runs an identity provider of its own and stops it before the first request.</param>
    public static async Task<SignInHarness> StartAsync(
        SignInFixture fixture,
        SignInMode mode = SignInMode.Required,
        Action<CasbConfiguration>? configure = null,
        bool identityProviderDown = false,
        bool ownIdentityProvider = false,
        X509Certificate2? clientCertificate = null,
        int replicas = 0,
        TestIdentityProviderOptions? identityProvider = null,
        Action<IServiceCollection>? configureServices = null,
        long? maxRequestBodySize = null)
    {
        LabPki lab = fixture.Lab;
        bool owns = identityProviderDown || ownIdentityProvider || clientCertificate is not null || identityProvider is not null;
        TestIdentityProviderOptions options = IdpOptions;
        TestIdentityProvider idp = owns
            ? await TestIdentityProvider.StartAsync(identityProvider ?? new TestIdentityProviderOptions { Users = options.Users, ClientCertificate = clientCertificate })
            : fixture.Idp;
        var time = new ShiftedTime();
        GatewayHarness gateway;
        try
        {
            gateway = await GatewayHarness.StartAsync(
                configure: c =>
                {
                    c.TrustedRoots.Add(Certificates.TestConfigurations.Entry(lab.Root, TrustedRootKind.Root));
                    c.TrustedRoots.Add(Certificates.TestConfigurations.Entry(lab.Intermediate, TrustedRootKind.Intermediate));
                    c.Settings.RevocationMode = RevocationCheckMode.None;
                    c.Groups.Add(new GroupEntry { Name = "Vendors" });
                    c.Groups.Add(new GroupEntry { Name = "Trusted" });
                    SeedPolicies.AddRequireCertificate(c);
                    c.ConditionalAccessPolicies[^1].ExcludeGroups.Add("Trusted");
                },
                beforeStart: store => store.Update((c, secrets) =>
                {
                    IdentityProviderCatalog.Set(c, secrets, new IdentityProviderChange
                    {
                        Name = ProviderName,
                        Authority = idp.Authority.ToString(),
                        ClientId = idp.ClientId,
                        ClientSecret = clientCertificate is null ? idp.ClientSecret : null,
                        ClientCertificatePkcs12 = clientCertificate is null ? null : Convert.ToBase64String(clientCertificate.Export(X509ContentType.Pkcs12)),
                        ClientCertificateThumbprint = clientCertificate?.Thumbprint,
                        AuthorityCertificate = Convert.ToBase64String(idp.Certificate.RawData),
                        SessionLifetimeMinutes = 60,
                    }, DateTimeOffset.UtcNow);
                    c.Apps[0].SignIn = mode;
                    configure?.Invoke(c);
                    return c;
                }),
                configureServices: services =>
                {
                    services.RemoveAll<TimeProvider>();
                    services.AddSingleton<TimeProvider>(time);
                    configureServices?.Invoke(services);
                },
                replicas: replicas,
                maxRequestBodySize: maxRequestBodySize);
        }
        catch
        {
            if (owns)
            {
                await idp.DisposeAsync();
            }

            throw;
        }

        await idp.RegisterGatewayAsync([gateway.GatewayUrl, .. gateway.ReplicaUrls]);
        if (identityProviderDown)
        {
            await idp.DisposeAsync();
        }

        return new SignInHarness(idp, gateway, time, owns);
    }

    /// <summary>A browser: keeps cookies, presents <paramref name="certificate"/> (if any), asks for HTML with Edge's User-Agent.</summary>
    /// <param name="certificate">The device certificate the browser presents, if any.</param>
    /// <param name="followRedirects">Whether the browser follows redirects.</param>
    /// <param name="gateway">The gateway it opens (a replica's address), else the harness's gateway.</param>
    public Browser CreateBrowser(X509Certificate2? certificate = null, bool followRedirects = true, Uri? gateway = null) =>
        new(this, certificate, followRedirects, gateway ?? Gateway.GatewayUrl);

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        if (_ownsIdp)
        {
            await Idp.DisposeAsync();
        }
    }

    [GeneratedRegex("name=\"returnUrl\" value=\"([^\"]*)\"")]
    private static partial Regex ReturnUrlField();

    /// <summary>A browser session against the gateway and the identity provider.</summary>
    internal sealed class Browser : IDisposable
    {
        private readonly SignInHarness _harness;

        public Browser(SignInHarness harness, X509Certificate2? certificate, bool followRedirects, Uri gateway)
        {
            _harness = harness;
            var handler = new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = followRedirects,
                MaxAutomaticRedirections = 20,
                UseCookies = true,
                CookieContainer = Cookies,
            };
            // The gateway's certificate is self-signed in its store and the provider's is its own: both are what this test started.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            if (certificate is not null)
            {
                handler.SslOptions.ClientCertificates = new X509CertificateCollection { certificate };
                handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
            }

            Client = new HttpClient(handler) { BaseAddress = gateway };
            Client.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml");
            Client.DefaultRequestHeaders.UserAgent.ParseAdd(Edge);
        }

        public CookieContainer Cookies { get; } = new();

        public HttpClient Client { get; }

        /// <summary>Opens <paramref name="path"/> on the gateway, signs in at the identity provider as <paramref name="user"/>, and returns where the browser lands.</summary>
        public async Task<HttpResponseMessage> SignInAsync(string user, string path = "/")
        {
            using HttpResponseMessage login = await Client.GetAsync(path);
            return await PostLoginAsync(login, user);
        }

        /// <summary>Fills in the identity provider's login form that <paramref name="login"/> shows.</summary>
        public async Task<HttpResponseMessage> PostLoginAsync(HttpResponseMessage login, string user)
        {
            string page = await login.Content.ReadAsStringAsync();
            Assert.True(login.StatusCode == HttpStatusCode.OK && page.Contains("Casb test identity provider"),
                $"Expected the identity provider's login page, got {(int)login.StatusCode} from {login.RequestMessage?.RequestUri}: {page}");
            Assert.StartsWith(_harness.Idp.Authority.GetLeftPart(UriPartial.Authority), login.RequestMessage!.RequestUri!.ToString());
            string returnUrl = WebUtility.HtmlDecode(ReturnUrlField().Match(page).Groups[1].Value);
            var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = user, ["returnUrl"] = returnUrl });
            return await Client.PostAsync(new Uri(_harness.Idp.Authority, "/login"), form);
        }

        /// <summary>The value of the gateway's session cookie, or null.</summary>
        public Cookie? SessionCookie => Cookies.GetCookies(_harness.Gateway.GatewayUrl)[CasbGateway.SignIn.SignInSchemes.SessionCookie];

        public void Dispose() => Client.Dispose();
    }
}
