using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Http.Features;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace CasbTestIdentityProvider;

/// <summary>
/// A real OpenID Connect provider for tests and demos: OpenIddict's server (discovery, authorization endpoint with
/// PKCE required, token endpoint with client-secret authentication, end-session endpoint, JWKS), ephemeral RSA signing
/// keys, its own self-signed TLS certificate, seeded users and groups. A user signs in by posting their name to a plain
/// form (no password: it is a test provider); consent is implicit. Never for production.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    private const string LoginScheme = "TestIdpLogin";

    private readonly WebApplication _app;
    private readonly TestIdentityProviderOptions _options;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TestUser> _users = new(StringComparer.OrdinalIgnoreCase);

    private TestIdentityProvider(WebApplication app, TestIdentityProviderOptions options, X509Certificate2 certificate)
    {
        _app = app;
        _options = options;
        Certificate = certificate;
        foreach (TestUser user in options.Users)
        {
            _users[user.Name] = user;
        }
    }

    /// <summary>Changes a user's groups (as an admin of the directory would); the next token carries the new ones.</summary>
    public void SetGroups(string user, IReadOnlyList<string> groups) => _users[user] = new TestUser(user, groups);

    /// <summary>How many group lists the Graph-like endpoint gave out for a valid access token.</summary>
    public int GroupLookups => Volatile.Read(ref _groupLookups);

    private int _groupLookups;

    /// <summary>When set, the Graph-like endpoint answers 503 (Graph down).</summary>
    public bool GroupEndpointDown { get; set; }

    /// <summary>The issuer (authority), e.g. https://127.0.0.1:41234/.</summary>
    public Uri Authority { get; private set; } = null!;

    /// <summary>The provider's TLS certificate (self-signed): what a gateway trusts as the authority certificate.</summary>
    public X509Certificate2 Certificate { get; }

    public string ClientId => _options.ClientId;

    public string ClientSecret => _options.ClientSecret;

    /// <summary>How many sign-ins (authorization codes issued) the provider has seen.</summary>
    public int SignIns => Volatile.Read(ref _signIns);

    /// <summary>The session id (<c>sid</c>) of a user's session at this provider, with <see cref="TestIdentityProviderOptions.IssueSessionIds"/>.</summary>
    public static string SessionIdOf(string user) => "sid-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(user)))[..16];

    private int _signIns;

    /// <summary>
    /// A logout token of OpenID Connect Back-Channel Logout 1.0, as this provider would POST it to a client's
    /// backchannel_logout_uri when the user signs out here: signed with the provider's signing key (the one its JWKS
    /// publishes), iss the authority, aud the client id, iat, exp, jti, the back-channel logout event, and the sid and sub
    /// asked for. The other parameters make the bad ones a client must refuse.
    /// </summary>
    public string CreateLogoutToken(
        string? sid = null,
        string? subject = null,
        string? audience = null,
        string? issuer = null,
        bool logoutEvent = true,
        bool nonce = false,
        bool wrongKey = false,
        DateTimeOffset? issuedAt = null,
        TimeSpan? lifetime = null)
    {
        var server = _app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<OpenIddict.Server.OpenIddictServerOptions>>().CurrentValue;
        Microsoft.IdentityModel.Tokens.SigningCredentials signing = wrongKey
            ? new Microsoft.IdentityModel.Tokens.SigningCredentials(
                // Another RSA key under the same key id: only the signature tells them apart.
                new Microsoft.IdentityModel.Tokens.RsaSecurityKey(RSA.Create(2048)) { KeyId = server.SigningCredentials[0].Key.KeyId },
                Microsoft.IdentityModel.Tokens.SecurityAlgorithms.RsaSha256)
            : server.SigningCredentials[0];
        DateTimeOffset iat = issuedAt ?? DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = iat.ToUnixTimeSeconds(),
        };
        if (logoutEvent)
        {
            claims["events"] = new Dictionary<string, object> { ["http://schemas.openid.net/event/backchannel-logout"] = new Dictionary<string, object>() };
        }

        if (sid is not null)
        {
            claims["sid"] = sid;
        }

        if (subject is not null)
        {
            claims["sub"] = subject;
        }

        if (nonce)
        {
            claims["nonce"] = "n-0S6_WzA2Mj";
        }

        return new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = issuer ?? Authority.ToString(),
            Audience = audience ?? _options.ClientId,
            Expires = (iat + (lifetime ?? TimeSpan.FromMinutes(2))).UtcDateTime,
            Claims = claims,
            TokenType = "logout+jwt",
            SigningCredentials = signing,
        });
    }

    public static async Task<TestIdentityProvider> StartAsync(TestIdentityProviderOptions options)
    {
        X509Certificate2 certificate = CreateCertificate();
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("OpenIddict", LogLevel.Warning);
        var url = new Uri(options.Url);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Parse(url.Host), url.Port, listen => listen.UseHttps(certificate)));

        string database = "casb-test-idp-" + Guid.NewGuid().ToString("N");
        builder.Services.AddDbContext<IdentityProviderDbContext>(db =>
        {
            db.UseInMemoryDatabase(database);
            db.ConfigureWarnings(w => w.Ignore(InMemoryEventId.TransactionIgnoredWarning));
            db.UseOpenIddict();
        });
        builder.Services.AddAuthentication(LoginScheme).AddCookie(LoginScheme, cookie =>
        {
            cookie.Cookie.Name = "casb-test-idp";
            cookie.LoginPath = "/login";
        });
        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<IdentityProviderDbContext>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetEndSessionEndpointUris("connect/endsession");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                server.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.Roles);
                server.AddEphemeralSigningKey().AddEphemeralEncryptionKey().DisableAccessTokenEncryption();
                server.SetIdentityTokenLifetime(options.IdentityTokenLifetime);
                server.UseAspNetCore().EnableAuthorizationEndpointPassthrough().EnableEndSessionEndpointPassthrough();
            });

        WebApplication app = builder.Build();
        var provider = new TestIdentityProvider(app, options, certificate);
        app.UseAuthentication();
        provider.Map(app);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        provider.Authority = new Uri(address.TrimEnd('/') + "/");
        await provider.RegisterClientAsync(options.RedirectUris, options.PostLogoutRedirectUris);
        return provider;
    }

    /// <summary>Registers (or re-registers) the gateway as a confidential client with these redirect URIs.</summary>
    public async Task RegisterClientAsync(IEnumerable<string> redirectUris, IEnumerable<string> postLogoutRedirectUris)
    {
        await using AsyncServiceScope scope = _app.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = _options.ClientId,
            ClientSecret = _options.ClientCertificate is null ? _options.ClientSecret : null,
            JsonWebKeySet = _options.ClientCertificate is { } clientCertificate
                ? new Microsoft.IdentityModel.Tokens.JsonWebKeySet
                {
                    Keys = { Microsoft.IdentityModel.Tokens.JsonWebKeyConverter.ConvertFromX509SecurityKey(
                        new Microsoft.IdentityModel.Tokens.X509SecurityKey(clientCertificate), representAsRsaKey: true) },
                }
                : null,
            ClientType = ClientTypes.Confidential,
            ConsentType = ConsentTypes.Implicit,
            DisplayName = "CASB gateway",
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile, Permissions.Scopes.Email, Permissions.Scopes.Roles,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (string uri in redirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri));
        }

        foreach (string uri in postLogoutRedirectUris)
        {
            descriptor.PostLogoutRedirectUris.Add(new Uri(uri));
        }

        // Updated in place: the in-memory store cannot delete (EF Core's bulk delete is relational only).
        if (await manager.FindByClientIdAsync(_options.ClientId) is { } existing)
        {
            await manager.UpdateAsync(existing, descriptor);
        }
        else
        {
            await manager.CreateAsync(descriptor);
        }
    }

    /// <summary>The registration of a gateway at <paramref name="gateway"/> (https://host:port): its callback and signed-out addresses.</summary>
    public Task RegisterGatewayAsync(params Uri[] gateways)
    {
        lock (_redirectUris)
        {
            foreach (Uri gateway in gateways)
            {
                _redirectUris.Add(new Uri(gateway, "/.casb/signin-oidc").ToString());
                _postLogoutRedirectUris.Add(new Uri(gateway, "/.casb/signout-callback").ToString());
            }
        }

        return RegisterClientAsync(_redirectUris.ToArray(), _postLogoutRedirectUris.ToArray());
    }

    // Every gateway registered so far stays registered (tests share one provider between gateways).
    private readonly HashSet<string> _redirectUris = new(StringComparer.Ordinal);
    private readonly HashSet<string> _postLogoutRedirectUris = new(StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/login", (HttpContext context) => Results.Content(LoginPage(context.Request.Query["returnUrl"], null), "text/html; charset=utf-8"));
        app.MapPost("/login", async (HttpContext context) =>
        {
            IFormCollection form = await context.Request.ReadFormAsync();
            string name = form["username"].ToString().Trim();
            string returnUrl = form["returnUrl"].ToString();
            TestUser? user = _users.GetValueOrDefault(name);
            if (user is null)
            {
                return Results.Content(LoginPage(returnUrl, $"No user '{name}'."), "text/html; charset=utf-8", statusCode: 401);
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user.Name)], LoginScheme);
            await context.SignInAsync(LoginScheme, new ClaimsPrincipal(identity));
            return Results.Redirect(returnUrl.StartsWith("/connect/authorize", StringComparison.Ordinal) ? returnUrl : "/");
        });
        app.MapMethods("/connect/authorize", ["GET", "POST"], async (HttpContext context) =>
        {
            OpenIddictRequest request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
            AuthenticateResult login = await context.AuthenticateAsync(LoginScheme);
            TestUser? user = login.Succeeded
                ? _users.GetValueOrDefault(login.Principal!.Identity!.Name ?? "")
                : null;
            if (user is null || request.HasPromptValue(PromptValues.Login))
            {
                return Results.Challenge(new AuthenticationProperties { RedirectUri = context.Request.Path + context.Request.QueryString }, [LoginScheme]);
            }

            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.PreferredUsername, Claims.Role);
            identity.AddClaim(new Claim(Claims.Subject, user.Name));
            identity.AddClaim(new Claim(Claims.Name, user.Name));
            string named = _options.PadUserClaims ? $" {user.Name}\t" : user.Name;
            identity.AddClaim(new Claim(Claims.PreferredUsername, named));
            identity.AddClaim(new Claim("upn", named));
            identity.AddClaim(new Claim(Claims.Email, named));
            if (_options.IssueSessionIds)
            {
                identity.AddClaim(new Claim("sid", SessionIdOf(user.Name)));
            }
            bool overage = user.Groups.Count > _options.GroupOverageThreshold;
            foreach (string group in user.Groups)
            {
                if (!overage)
                {
                    identity.AddClaim(new Claim("groups", group));
                }

                identity.AddClaim(new Claim(Claims.Role, group));
            }

            if (overage)
            {
                // Entra ID's form: the groups claim's source is an endpoint the client calls with the access token.
                identity.AddClaim("_claim_names", System.Text.Json.JsonSerializer.SerializeToElement(new { groups = "src1" }));
                identity.AddClaim("_claim_sources", System.Text.Json.JsonSerializer.SerializeToElement(
                    new Dictionary<string, object> { ["src1"] = new { endpoint = new Uri(Authority, "graph/v1.0/me/getMemberObjects").ToString() } }));
            }

            identity.SetScopes(request.GetScopes());
            identity.SetDestinations(c => c.Type is "_claim_names" or "_claim_sources" ? [Destinations.IdentityToken] : [Destinations.IdentityToken, Destinations.AccessToken]);
            Interlocked.Increment(ref _signIns);
            return Results.SignIn(new ClaimsPrincipal(identity), null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });
        app.MapPost("/graph/v1.0/me/getMemberObjects", async (HttpContext context) =>
        {
            if (GroupEndpointDown)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            // The access token must be one this provider signed, for a user it knows: as Microsoft Graph checks its own.
            string authorization = context.Request.Headers.Authorization.ToString();
            if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal))
            {
                return Results.Unauthorized();
            }

            var server = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<OpenIddict.Server.OpenIddictServerOptions>>().CurrentValue;
            var validation = await new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(authorization["Bearer ".Length..], new Microsoft.IdentityModel.Tokens.TokenValidationParameters
            {
                ValidIssuer = Authority.ToString(),
                ValidateAudience = false,
                IssuerSigningKeys = server.SigningCredentials.Select(c => c.Key),
                ValidTypes = ["at+jwt"],
            });
            if (!validation.IsValid || validation.ClaimsIdentity.FindFirst(Claims.Subject)?.Value is not { } subject || _users.GetValueOrDefault(subject) is not { } user)
            {
                return Results.Unauthorized();
            }

            Interlocked.Increment(ref _groupLookups);
            return Results.Json(new { value = user.Groups });
        });
        app.MapMethods("/connect/endsession", ["GET", "POST"], async (HttpContext context) =>
        {
            await context.SignOutAsync(LoginScheme);
            return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        });
    }

    private string LoginPage(string? returnUrl, string? error)
    {
        static string E(string? value) => WebUtility.HtmlEncode(value ?? "");
        var html = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Test identity provider</title></head><body>\n");
        html.Append("<h1>Casb test identity provider</h1>\n");
        if (error is not null)
        {
            html.Append("<p class=\"error\">").Append(E(error)).Append("</p>\n");
        }

        html.Append("<form method=\"post\" action=\"/login\">\n<input type=\"hidden\" name=\"returnUrl\" value=\"").Append(E(returnUrl)).Append("\">\n");
        html.Append("<label>User <input name=\"username\" list=\"users\"></label>\n<datalist id=\"users\">");
        foreach (TestUser user in _options.Users)
        {
            html.Append("<option value=\"").Append(E(user.Name)).Append("\">");
        }

        html.Append("</datalist>\n<button type=\"submit\">Sign in</button>\n</form>\n</body></html>\n");
        return html.ToString();
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Casb test identity provider", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(7));
        // Re-imported so that every platform's TLS stack can use the private key.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }
}
