using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using CasbCore.SignIn;
using CasbCore.Store;
using CasbGateway.Configuration;
using CasbGateway.Hosting;

namespace CasbGateway.SignIn;

internal static class ServiceCollectionSignInExtensions
{
    /// <summary>
    /// ASP.NET Core's cookie and OpenID Connect handlers for sign-in, with data-protection keys in the store (a folder
    /// store's keys folder, mode 700; a database store's blobs): every gateway on the same store reads every other's
    /// session cookies and sign-in state (the first key is made at start by <see cref="SessionKeyRing"/>, so replicas
    /// starting together share it).
    /// </summary>
    public static IServiceCollection AddCasbSignIn(this IServiceCollection services, IConfigurationStore store)
    {
        IDataProtectionBuilder dataProtection = services.AddDataProtection().SetApplicationName("CasbGateway");
        IKeyRingGate gate;
        if (store is CasbStore folder)
        {
            dataProtection.PersistKeysToFileSystem(CreatePrivateDirectory(folder.KeysDirectory));
            gate = new FolderKeyRingGate(folder.KeysDirectory);
        }
        else
        {
            services.Configure<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>(o => o.XmlRepository = new StoreKeyRepository(store));
            gate = new StoreKeyRingGate(store);
        }

        services.AddSingleton(sp => new SessionKeyRing(
            sp.GetRequiredService<Microsoft.AspNetCore.DataProtection.KeyManagement.IKeyManager>(),
            sp.GetRequiredService<IOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>>(),
            gate));
        services.AddSingleton<SignInLog>();
        services.AddSingleton<EndedSessionSet>();
        services.AddSingleton<LogoutTokenValidator>();
        services.AddSingleton<BackChannelLogout>();
        services.AddAuthentication()
            .AddCookie(SignInSchemes.Session, cookie =>
            {
                cookie.Cookie.Name = SignInSchemes.SessionCookie;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.Path = "/";
                // Absolute lifetime: each session expires at sign-in + the identity provider's SessionLifetime.
                cookie.SlidingExpiration = false;
                cookie.Events.OnValidatePrincipal = ValidateSessionAsync;
            })
            .AddOpenIdConnect(SignInSchemes.OpenIdConnect, _ => { });
        services.AddSingleton<IConfigureOptions<OpenIdConnectOptions>, OpenIdConnectOptionsSetup>();
        services.AddSingleton<IdentityProviderChangeTokenSource>();
        services.AddSingleton<IOptionsChangeTokenSource<OpenIdConnectOptions>>(sp => sp.GetRequiredService<IdentityProviderChangeTokenSource>());
        // ASP.NET Core loads the key ring (and makes its first key) at start with a hosted service of its own. The
        // gateway makes the first key when a configuration signs users in (SessionKeyRing, from GatewayApp) and the ring
        // is read at its first use, so a gateway without sign-in never reads it nor maps System.Private.Xml for it
        // (docs/benchmarks.md, "Fifth pass: memory"). Removed last (AddAuthentication adds it again), matched by name
        // (the type is internal): GatewayMemoryTests fails if it stops matching.
        for (int i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IHostedService)
                && services[i].ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService")
            {
                services.RemoveAt(i);
            }
        }

        return services;
    }

    /// <summary>
    /// A session counts only under the identity provider it was issued by (a new authority or client id ends it), only
    /// within the provider's SessionLifetime as it is now: a lifetime shortened after the sign-in ends the sessions
    /// already older than it (the ticket's own expiry is the lifetime at sign-in), and only until it is signed out on any
    /// gateway of the store, ended by the provider's back-channel logout (its sid, or its subject in a logout the gateway
    /// that signed it in had not read), or revoked by an admin for its user in a revocation that gateway had not read
    /// (Revoke-CasbSession; <see cref="SignInSchemes.EndedSeenItem"/>: no clock is compared with another's).
    /// A session without an id (issued before sign-out was recorded in the store) cannot be
    /// signed out there, so it counts no more: its user signs in again once.
    /// </summary>
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        IServiceProvider services = context.HttpContext.RequestServices;
        SignInState? signIn = services.GetRequiredService<ConfigurationMonitor>().Current?.SignIn;
        string? issuedUnder = context.Principal?.FindFirst(SignInSchemes.ProviderClaim)?.Value;
        DateTimeOffset now = context.Options.TimeProvider?.GetUtcNow() ?? DateTimeOffset.UtcNow;
        if (signIn is null || !string.Equals(issuedUnder, signIn.Provider.Id, StringComparison.Ordinal)
            || context.Properties.IssuedUtc is not { } issued || issued + signIn.SessionLifetime <= now
            || SignInSchemes.SessionIdOf(context.Properties) is not { } sessionId
            || services.GetRequiredService<EndedSessionSet>() is var ended && (ended.Ends(sessionId, signIn.Provider.Id,
                context.Principal!.FindFirst(SignInClaims.SessionIdClaim)?.Value, context.Principal.FindFirst(SignInClaims.SubjectClaim)?.Value, issued, SignInSchemes.EndedSeenOf(context.Properties))
                || ended.EndsUser(context.Principal, signIn.Provider.UserClaim, issued, SignInSchemes.EndedSeenOf(context.Properties))))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(SignInSchemes.Session);
        }
    }

    // CreateDirectory leaves an existing folder's mode alone: the keys decrypt every session, so it is tightened too.
    private static DirectoryInfo CreatePrivateDirectory(string path) => CasbCore.OwnerOnly.CreateDirectory(path, tighten: true);
}

internal static class ApplicationBuilderSignInExtensions
{
    /// <summary>The /.casb/ endpoints, ahead of enforcement: nothing under /.casb is ever forwarded.</summary>
    public static IApplicationBuilder UseCasbSignInEndpoints(this IApplicationBuilder app) => app.UseMiddleware<SignInEndpointsMiddleware>();
}
