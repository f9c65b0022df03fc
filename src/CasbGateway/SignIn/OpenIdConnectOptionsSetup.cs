using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using CasbGateway.Configuration;

namespace CasbGateway.SignIn;

/// <summary>
/// Builds the OpenID Connect handler's options from the identity provider of the revision being served. ASP.NET Core's
/// own post-configuration then adds the metadata manager, the back channel and the state protection, so the protocol
/// is the handler's: authorization code with PKCE, the response in the query (a top-level GET, so Lax cookies come
/// back), ID token validated against the provider's keys, issuer and the client id. The options are cached until
/// <see cref="IdentityProviderChangeTokenSource"/> says the provider changed.
/// </summary>
internal sealed class OpenIdConnectOptionsSetup : IConfigureNamedOptions<OpenIdConnectOptions>
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly ConfigurationMonitor _configuration;

    public OpenIdConnectOptionsSetup(ConfigurationMonitor configuration) => _configuration = configuration;

    public void Configure(OpenIdConnectOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, OpenIdConnectOptions options)
    {
        if (name != SignInSchemes.OpenIdConnect || _configuration.Current?.SignIn is not { } signIn)
        {
            return;
        }

        CasbCore.Model.IdentityProviderEntry provider = signIn.Provider;
        options.Authority = provider.Authority;
        options.ClientId = provider.ClientId;
        options.ClientSecret = signIn.ClientSecret;
        options.ResponseType = "code";
        options.ResponseMode = "query";
        options.UsePkce = true;
        options.Scope.Clear();
        foreach (string scope in provider.Scopes)
        {
            options.Scope.Add(scope);
        }

        // Claims keep the names the token gives them (groups, upn, preferred_username): the engine reads those.
        options.MapInboundClaims = false;
        options.GetClaimsFromUserInfoEndpoint = false;
        options.SaveTokens = false;
        options.UseTokenLifetime = false;
        options.RequireHttpsMetadata = true;
        options.TokenValidationParameters.NameClaimType = provider.UserClaim;
        options.TokenValidationParameters.RoleClaimType = provider.GroupClaim;
        options.SignInScheme = SignInSchemes.Session;
        options.SignOutScheme = SignInSchemes.Session;
        options.CallbackPath = SignInPaths.Callback;
        options.SignedOutCallbackPath = SignInPaths.SignOutCallback;
        options.RemoteSignOutPath = SignInPaths.RemoteSignOut;
        options.SignedOutRedirectUri = SignInPaths.SignedOut;
        options.BackchannelHttpHandler = CasbCore.SignIn.AuthorityTrust.CreateHandler(signIn.AuthorityCertificate, ConnectTimeout);
        foreach (Microsoft.AspNetCore.Http.CookieBuilder cookie in new[] { options.CorrelationCookie, options.NonceCookie })
        {
            cookie.HttpOnly = true;
            cookie.SecurePolicy = CookieSecurePolicy.Always;
            cookie.SameSite = SameSiteMode.Lax;
            cookie.Path = "/";
        }

        options.CorrelationCookie.Name = SignInSchemes.CorrelationCookie;
        options.NonceCookie.Name = SignInSchemes.NonceCookie;
        if (signIn.ClientCertificate is not null)
        {
            // The client assertion is added to the token request only; a pushed authorization request would go without it.
            options.PushedAuthorizationBehavior = PushedAuthorizationBehavior.Disable;
        }

        options.Events = new SignInEvents(signIn);
    }
}
