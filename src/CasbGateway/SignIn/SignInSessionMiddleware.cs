using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.Features;
using CasbCore.Model;
using CasbGateway.Enforcement;
using Microsoft.Extensions.Options;

namespace CasbGateway.SignIn;

/// <summary>
/// Reads the session cookie for a request to an app that signs users in and hands its claims to the decision
/// (<see cref="GatewayRequestFeature.SignInClaims"/>). A revision where no app signs users in skips it with one
/// null check, so sign-in costs such requests nothing. A cookie that does not decrypt, has expired, or was issued
/// under another identity provider names nobody, and is deleted from the browser with the response.
/// </summary>
internal sealed class SignInSessionMiddleware
{
    private readonly RequestDelegate _next;

    public SignInSessionMiddleware(RequestDelegate next) => _next = next;

    public Task InvokeAsync(HttpContext context)
    {
        GatewayRequestFeature feature = context.Features.GetRequiredFeature<GatewayRequestFeature>();
        if (feature.State?.SignIn is null)
        {
            return _next(context);
        }

        // The app the decision will find: the same canonical path (an ambiguous one is refused there, unread here).
        if (!CasbCore.Policies.RequestPath.TryParse(DecisionMiddleware.RawTarget(context), out CasbCore.Policies.RequestPath? path, out _))
        {
            return _next(context);
        }

        AppEntry? app = feature.State.Engine.Policies.FindApp(RequestHosts.HostOf(context.Request), path.Escaped);
        return app is null || app.SignIn == SignInMode.None ? _next(context) : AuthenticateAsync(context, feature);
    }

    private async Task AuthenticateAsync(HttpContext context, GatewayRequestFeature feature)
    {
        AuthenticateResult session = await context.AuthenticateAsync(SignInSchemes.Session);
        if (session.Succeeded && session.Principal is { } principal)
        {
            feature.SignInClaims = SignInSchemes.ClaimsOf(principal);
        }
        else if (context.Request.Cookies.ContainsKey(SignInSchemes.SessionCookie))
        {
            // A session cookie that names nobody (ended, expired, not ours) is deleted with whatever answers the request. Not
            // now: a block page clears the headers, and the upstream's answer loses every gateway cookie, a deletion too.
            context.Response.OnStarting(DeleteSessionCookieAsync, context);
        }

        await _next(context);
    }

    private static Task DeleteSessionCookieAsync(object state)
    {
        var context = (HttpContext)state;
        CookieAuthenticationOptions options = context.RequestServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(SignInSchemes.Session);
        options.CookieManager.DeleteCookie(context, options.Cookie.Name!, options.Cookie.Build(context));
        return Task.CompletedTask;
    }
}
