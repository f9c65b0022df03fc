using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using CasbCore;
using CasbCore.Activity;
using CasbCore.Model;
using CasbGateway.Activity;
using CasbGateway.Configuration;
using CasbGateway.Enforcement;
using CasbGateway.Hosting;

namespace CasbGateway.SignIn;

/// <summary>
/// Answers every path under /.casb on any host, before enforcement, and never forwards one: the OpenID Connect
/// callbacks (handled by ASP.NET Core's handler), /.casb/signin?returnUrl=/path (start a sign-in; only a path on the
/// same host is accepted), /.casb/signout (GET asks, POST from the same origin signs out of the gateway and of the
/// identity provider), /.casb/signed-out, /.casb/backchannel-logout (the provider's POST of a logout token). On a host with no app that signs users in, all of them are a 404 page.
/// Each sign-in and sign-out, and each that failed, is one activity record (Kind SignIn or SignOut).
/// </summary>
internal sealed class SignInEndpointsMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ConfigurationMonitor _configuration;
    private readonly SignInLog _log;
    private readonly ActivityRecorder _recorder;
    private readonly string _gatewayName;
    private readonly EndedSessionSet _endedSessions;

    public SignInEndpointsMiddleware(
        RequestDelegate next, ConfigurationMonitor configuration, SignInLog log, ActivityRecorder recorder, GatewayOptions options, EndedSessionSet endedSessions)
    {
        _next = next;
        _configuration = configuration;
        _log = log;
        _recorder = recorder;
        _gatewayName = options.Name;
        _endedSessions = endedSessions;
    }

    public Task InvokeAsync(HttpContext context) =>
        SignInPaths.IsReserved(context.Request.Path.Value) ? HandleAsync(context) : _next(context);

    private async Task HandleAsync(HttpContext context)
    {
        EngineState? state = _configuration.Current;
        DateTimeOffset at = DateTimeOffset.UtcNow;
        var feature = new SignInActivityFeature
        {
            // Never the client's traceparent: the page shows this id, and Get-CasbActivity -CorrelationId finds its one
            // record by the time the id carries, as for any request.
            CorrelationId = Activity.CorrelationIds.Next(at),
            TraceId = System.Diagnostics.Activity.Current is { } trace ? trace.TraceId.ToHexString() : null,
            At = at,
            State = state,
        };
        context.Features.Set(feature);
        // A ceiling, never a raise: a gateway started with a smaller --max-request-body-size reads no more here than it passes on.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize
            && (bodySize.MaxRequestBodySize is not { } limit || limit > SignInPaths.MaxBodySize))
        {
            bodySize.MaxRequestBodySize = SignInPaths.MaxBodySize;
        }

        try
        {
            await HandleAsync(context, state, feature);
        }
        finally
        {
            if (feature.ToRecord(context, _gatewayName) is { } record)
            {
                _recorder.Record(record);
            }
        }
    }

    private async Task HandleAsync(HttpContext context, EngineState? state, SignInActivityFeature feature)
    {
        string correlationId = feature.CorrelationId;
        context.Response.Headers[ResponsePages.CorrelationHeader] = correlationId;
        SignInState? signIn = state?.SignIn;
        AppEntry? app = signIn?.Apps.Find(RequestHosts.HostOf(context.Request), "/");
        string path = context.Request.Path.Value ?? "";
        if (signIn is null || app is null || !context.Request.IsHttps)
        {
            await SignInPages.NotFoundAsync(context, correlationId);
            return;
        }

        feature.App = app.Name;
        if (Is(path, SignInPaths.BackChannelLogout))
        {
            // Resolved at its first use: a gateway that is never sent a logout token never loads the token handler.
            await context.RequestServices.GetRequiredService<BackChannelLogout>().HandleAsync(context, signIn, feature);
            return;
        }

        bool signingIn = Is(path, SignInPaths.Callback) || Is(path, SignInPaths.SignIn);
        // Signing out never waits for signing in to work: a session still names its user meanwhile, and must end when asked.
        bool signingOut = Is(path, SignInPaths.SignOut) || Is(path, SignInPaths.SignedOut);
        if (signIn.Problem is not null && !signingOut)
        {
            _log.LogUnavailable(null, RequestHosts.HostOf(context.Request), signIn.Problem, correlationId);
            if (signingIn)
            {
                feature.Failed(ActivityKinds.SignIn, "sign_in_unavailable");
            }

            await SignInPages.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "sign_in_unavailable", "Sign-in unavailable", SignInPages.NotConfiguredMessage, correlationId);
            return;
        }

        try
        {
            if (Is(path, SignInPaths.Callback) || Is(path, SignInPaths.SignOutCallback) || Is(path, SignInPaths.RemoteSignOut))
            {
                var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
                if (await handlers.GetHandlerAsync(context, SignInSchemes.OpenIdConnect) is IAuthenticationRequestHandler handler
                    && await handler.HandleRequestAsync())
                {
                    return;
                }

                await SignInPages.NotFoundAsync(context, correlationId);
            }
            else if (Is(path, SignInPaths.SignIn) && HttpMethods.IsGet(context.Request.Method))
            {
                string? back = ReturnUrls.Normalize(context.Request.Query["returnUrl"].ToString(), context.Request.Scheme, context.Request.Headers.Host.ToString());
                if (back is null)
                {
                    feature.Failed(ActivityKinds.SignIn, "return_url_invalid");
                    await SignInPages.WriteAsync(context, StatusCodes.Status400BadRequest, "return_url_invalid", "Sign-in refused",
                        "The address to return to after signing in is not on this app.", correlationId);
                    return;
                }

                await SignInChallenge.ChallengeAsync(context, back, correlationId);
            }
            else if (Is(path, SignInPaths.SignOut))
            {
                await SignOutAsync(context, correlationId, feature, atProvider: signIn.Problem is null);
            }
            else if (Is(path, SignInPaths.SignedOut))
            {
                await SignInPages.WriteAsync(context, StatusCodes.Status200OK, "signed_out", "Signed out",
                    $"You have signed out of {RequestHosts.HostOf(context.Request)}.", correlationId);
            }
            else
            {
                await SignInPages.NotFoundAsync(context, correlationId);
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException && !context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            // A body that is no form, or larger than any the provider sends (a front-channel sign-out POSTed): the client's fault.
            int status = ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest;
            await SignInPages.WriteAsync(context, status, "request_invalid", "Request refused", "The request's body is not a form this gateway reads.", correlationId);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            _log.LogUnavailable(ex, RequestHosts.HostOf(context.Request), ex.Message, correlationId);
            if (signingIn)
            {
                feature.Failed(ActivityKinds.SignIn, "identity_provider_unavailable");
            }

            await SignInPages.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "identity_provider_unavailable", "Sign-in unavailable",
                SignInPages.UnavailableMessage, correlationId);
        }
    }

    /// <param name="atProvider">Whether to end the session at the identity provider too: not while sign-in is unavailable,
    /// when the handler's options would be built (and kept until the provider changes) without the missing credential.</param>
    private async Task SignOutAsync(HttpContext context, string correlationId, SignInActivityFeature feature, bool atProvider)
    {
        AuthenticateResult session = await context.AuthenticateAsync(SignInSchemes.Session);
        string? user = feature.State?.SignIn is { } signIn ? SignInSchemes.UserOf(session.Principal, signIn.Provider.UserClaim) : null;
        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        {
            await SignInPages.WriteAsync(context, StatusCodes.Status200OK, "sign_out", "Sign out",
                user is null ? "You are not signed in." : $"Sign out of {RequestHosts.HostOf(context.Request)}?", correlationId, user);
            return;
        }

        if (!HttpMethods.IsPost(context.Request.Method) || !IsSameOrigin(context))
        {
            // A cross-site form must not be able to sign people out.
            feature.Failed(ActivityKinds.SignOut, "sign_out_refused", user);
            await SignInPages.WriteAsync(context, StatusCodes.Status403Forbidden, "sign_out_refused", "Sign-out refused",
                "Sign out from a page of this app.", correlationId);
            return;
        }

        if (session.Succeeded && session.Properties is { } properties)
        {
            // Ended in the store first, for every gateway of it: a copy of the cookie (another tab, a tool, a thief) names
            // nobody from then on. If that fails nothing ends, and the user is told so: a sign-out that only deleted this
            // browser's cookie would leave them believing a session over that still works elsewhere.
            DateTimeOffset now = (context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
            try
            {
                _endedSessions.EndSession(properties, now);
            }
            catch (CasbException ex)
            {
                string host = RequestHosts.HostOf(context.Request);
                _log.LogSignOutNotRecorded(ex, host, user, correlationId);
                feature.Failed(ActivityKinds.SignOut, "sign_out_unavailable", user);
                await SignInPages.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "sign_out_unavailable", "Sign-out failed",
                    $"The gateway could not record the sign-out in its store, so your session has not ended. You are still signed in to {host}. Try again in a moment.",
                    correlationId, user);
                return;
            }
        }

        await context.SignOutAsync(SignInSchemes.Session);
        _log.LogSignedOut(RequestHosts.HostOf(context.Request), user);
        feature.Succeeded(ActivityKinds.SignOut, user);
        if (!atProvider)
        {
            context.Response.Redirect(SignInPaths.SignedOut);
            return;
        }

        try
        {
            // Ends the session at the identity provider too, which sends the browser back to /.casb/signed-out.
            await context.SignOutAsync(SignInSchemes.OpenIdConnect, new AuthenticationProperties { RedirectUri = SignInPaths.SignedOut });
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException)
        {
            _log.LogUnavailable(ex, RequestHosts.HostOf(context.Request), "sign-out at the identity provider: " + ex.Message, correlationId);
            context.Response.Redirect(SignInPaths.SignedOut);
        }
    }

    private static bool IsSameOrigin(HttpContext context)
    {
        string origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            // Browsers send Origin with every POST; a client without one is not a browser a page can drive.
            return true;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri)
            && Uri.TryCreate($"{context.Request.Scheme}://{context.Request.Host.Value}/", UriKind.Absolute, out Uri? self)
            && string.Equals(uri.Scheme, context.Request.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Authority, self.Authority, StringComparison.OrdinalIgnoreCase);
    }

    private static bool Is(string path, string endpoint) => string.Equals(path.TrimEnd('/'), endpoint, StringComparison.OrdinalIgnoreCase);
}
