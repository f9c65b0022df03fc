using System.Text.Json;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using CasbCore;
using CasbCore.Activity;
using CasbCore.SignIn;
using CasbGateway.Enforcement;

namespace CasbGateway.SignIn;

/// <summary>
/// OpenID Connect Back-Channel Logout 1.0 at /.casb/backchannel-logout: the identity provider POSTs a signed logout
/// token server to server, so a sign-out at the provider ends the gateway's sessions without the browser (front-channel
/// sign-out needs the gateway's cookie in the provider's hidden frame, which browsers blocking third-party cookies do
/// not send). A token naming a sid ends every session of that provider session; one naming only a sub ends every
/// session of that user issued before it; both on every gateway of the store (<see cref="EndedSessions"/>). Answers
/// 200 on success, 400 with an OAuth error body for a bad token, always Cache-Control: no-store (section 2.8).
/// </summary>
internal sealed class BackChannelLogout
{
    private readonly LogoutTokenValidator _validator;
    private readonly EndedSessionSet _endedSessions;
    private readonly SignInLog _log;
    private readonly IOptionsMonitor<OpenIdConnectOptions> _options;
    private readonly TimeProvider _time;

    public BackChannelLogout(
        LogoutTokenValidator validator, EndedSessionSet endedSessions, SignInLog log, IOptionsMonitor<OpenIdConnectOptions> options, TimeProvider? time = null)
    {
        _validator = validator;
        _endedSessions = endedSessions;
        _log = log;
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    public async Task HandleAsync(HttpContext context, SignInState signIn, SignInActivityFeature feature)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        string host = RequestHosts.HostOf(context.Request);
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.Headers.Allow = "POST";
            await RefuseAsync(context, feature, StatusCodes.Status405MethodNotAllowed, "invalid_request", "the back-channel logout is a POST", host);
            return;
        }

        if (signIn.Problem is not null)
        {
            // The handler's options are not built without the credential (they would be kept until the provider changes).
            _log.LogUnavailable(null, host, signIn.Problem, feature.CorrelationId);
            await RefuseAsync(context, feature, StatusCodes.Status503ServiceUnavailable, "temporarily_unavailable", "sign-in is not fully configured at this gateway", host, "sign_in_unavailable");
            return;
        }

        string? token = null;
        if (context.Request.HasFormContentType)
        {
            IFormCollection form;
            try
            {
                form = await context.Request.ReadFormAsync(context.RequestAborted);
            }
            catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException && !context.RequestAborted.IsCancellationRequested)
            {
                // Anyone can POST here: a body that is no form, or one larger than a logout token (SignInPaths.MaxBodySize), is refused as the token would be.
                int status = ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest;
                await RefuseAsync(context, feature, status, "invalid_request", "the request body is not a form with a logout_token", host, exception: ex);
                return;
            }

            token = form["logout_token"] is { Count: 1 } value ? value.ToString() : null;
        }

        DateTimeOffset now = _time.GetUtcNow();
        LogoutToken logout;
        try
        {
            OpenIdConnectOptions options = _options.Get(SignInSchemes.OpenIdConnect);
            logout = await _validator.ValidateAsync(
                token ?? "", options.ConfigurationManager ?? throw new InvalidOperationException("the OpenID Connect handler has no metadata manager"),
                signIn.Provider.ClientId, now, context.RequestAborted);
        }
        catch (LogoutTokenException ex)
        {
            await RefuseAsync(context, feature, StatusCodes.Status400BadRequest, "invalid_request", ex.Message, host, "logout_token_invalid", ex);
            return;
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // The provider's metadata (its keys) cannot be read: nothing could be checked, and the provider may try again.
            _log.LogUnavailable(ex, host, "back-channel logout: " + ex.Message, feature.CorrelationId);
            await RefuseAsync(context, feature, StatusCodes.Status503ServiceUnavailable, "temporarily_unavailable", "the identity provider's keys cannot be read", host, "identity_provider_unavailable");
            return;
        }

        string providerId = signIn.Provider.Id;
        DateTimeOffset until = now + signIn.SessionLifetime;
        // A sid is the narrower of the two: section 2.7 ends that provider session's sessions when the token names one.
        string key = logout.Sid is { } sid ? EndedSessions.ProviderSessionKey(providerId, sid) : EndedSessions.SubjectKey(providerId, logout.Subject!, now);
        string marker = EndedSessions.LogoutTokenKey(providerId, logout.Jti);
        bool taken;
        try
        {
            // The jti's marker in the same write: a token replayed to another gateway of the store, or here after a
            // restart, is refused there, and never writes a later 'before' time that would end the user's later sessions.
            // One this gateway has seen taken (its own list) is refused without a write.
            taken = !_endedSessions.Contains(marker) && _endedSessions.EndUnlessUsed(key, until, marker, logout.Until, now);
        }
        catch (CasbException ex)
        {
            _log.LogSignOutNotRecorded(ex, host, logout.Subject, feature.CorrelationId);
            await RefuseAsync(context, feature, StatusCodes.Status503ServiceUnavailable, "temporarily_unavailable", "the sign-out could not be recorded; try again", host, "sign_out_unavailable");
            return;
        }

        if (!taken)
        {
            await RefuseAsync(context, feature, StatusCodes.Status400BadRequest, "invalid_request", $"the logout token {logout.Jti} was used before", host);
            return;
        }

        _log.LogBackChannelLogout(host, logout.Sid is { } ended ? "provider session " + ended : "user " + logout.Subject);
        feature.Succeeded(ActivityKinds.SignOut, logout.Subject);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task RefuseAsync(
        HttpContext context, SignInActivityFeature feature, int status, string error, string description, string host, string? reason = null, Exception? exception = null)
    {
        reason ??= "logout_token_invalid";
        if (status is StatusCodes.Status400BadRequest or StatusCodes.Status405MethodNotAllowed or StatusCodes.Status413PayloadTooLarge)
        {
            _log.LogBackChannelLogoutRefused(exception, host, description, feature.CorrelationId);
        }

        feature.Failed(ActivityKinds.SignOut, reason);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }), context.RequestAborted);
    }
}
