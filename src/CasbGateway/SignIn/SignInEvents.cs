using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using CasbCore.SignIn;

namespace CasbGateway.SignIn;

/// <summary>
/// The gateway's hooks into the OpenID Connect handler: a session keeps only the claims the engine reads and is tied
/// to the provider and lifetime of the revision; a token that names no user is refused; a client certificate signs a
/// client assertion (private_key_jwt); and every failure of the redirect dance is a branded page, never an exception.
/// </summary>
internal sealed partial class SignInEvents : OpenIdConnectEvents
{
    private readonly SignInState _signIn;

    public SignInEvents(SignInState signIn) => _signIn = signIn;

    public override async Task TokenValidated(TokenValidatedContext context)
    {
        CasbCore.Model.IdentityProviderEntry provider = _signIn.Provider;
        KeyValuePair<string, string>[] claims = SignInSchemes.ClaimsOf(context.Principal!);
        List<KeyValuePair<string, string>> kept = claims.Where(c => SignInClaims.KeptClaims.Contains(c.Key, StringComparer.Ordinal)).ToList();
        string? user = SignInClaims.UserOf(kept, provider.UserClaim);
        if (user is null)
        {
            context.Fail(new SignInRefusedException($"The identity provider's token has no '{provider.UserClaim}' claim naming the user."));
            return;
        }

        int groupCount = SignInClaims.GroupsOf(kept, provider.GroupClaim).Length;
        try
        {
            if (GroupOverage.EndpointOf(claims, provider.GroupClaim) is { } endpoint)
            {
                string accessToken = context.TokenEndpointResponse?.AccessToken is { Length: > 0 } token
                    ? token
                    : throw new GroupLookupException("the token has too many groups to carry, and the sign-in gave no access token to read them with");
                string[] groups = await GroupOverageClient.FetchAsync(_signIn, endpoint, accessToken, context.HttpContext.RequestAborted);
                groupCount = groups.Length;
                // The session keeps the groups the store names (the only ones a policy can mention): hundreds of ids would not fit in a cookie.
                var named = new HashSet<string>(
                    context.HttpContext.RequestServices.GetRequiredService<CasbGateway.Configuration.ConfigurationMonitor>().Current?.Engine.Configuration.Groups.Select(g => g.Name) ?? [],
                    StringComparer.OrdinalIgnoreCase);
                kept.AddRange(groups.Where(named.Contains).Select(g => new KeyValuePair<string, string>(provider.GroupClaim, g)));
            }
        }
        catch (Exception ex) when (ex is GroupLookupException or CasbCore.CasbException)
        {
            context.Fail(ex is GroupLookupException ? ex : new GroupLookupException(ex.Message, ex));
            return;
        }

        var identity = new ClaimsIdentity(
            kept.Select(c => new Claim(c.Key, c.Value)).Append(new Claim(SignInSchemes.ProviderClaim, provider.Id)),
            SignInSchemes.OpenIdConnect, provider.UserClaim, provider.GroupClaim);
        context.Principal = new ClaimsPrincipal(identity);

        AuthenticationProperties properties = context.Properties!;
        DateTimeOffset now = context.Options.TimeProvider?.GetUtcNow() ?? DateTimeOffset.UtcNow;
        properties.IsPersistent = false;
        properties.AllowRefresh = false;
        properties.IssuedUtc = now;
        properties.ExpiresUtc = now + _signIn.SessionLifetime;
        properties.Items[SignInSchemes.SessionIdItem] = SignInSchemes.NewSessionId();
        // The revocations of this user already read: the ones this session comes after, by no clock's say.
        properties.Items[SignInSchemes.EndedSeenItem] = context.HttpContext.RequestServices.GetRequiredService<EndedSessionSet>()
            .Seen(provider.Id, context.Principal.FindFirst(SignInClaims.SubjectClaim)?.Value, user);
        // The return address came from the gateway's own protected state; checked again all the same.
        if (properties.RedirectUri is not { } back || !ReturnUrls.IsLocalPath(back))
        {
            properties.RedirectUri = "/";
        }

        Logger(context.HttpContext).LogSignedIn(context.Request.Host.Host, user, provider.Name);
        context.HttpContext.Features.Get<SignInActivityFeature>()?.Succeeded(CasbCore.Activity.ActivityKinds.SignIn, user, groupCount);
    }

    public override async Task AuthorizationCodeReceived(AuthorizationCodeReceivedContext context)
    {
        if (_signIn.ClientCertificate is not { } certificate || context.TokenEndpointRequest is not { } request)
        {
            return;
        }

        OpenIdConnectConfiguration configuration = await context.Options.ConfigurationManager!.GetConfigurationAsync(context.HttpContext.RequestAborted);
        DateTime now = (context.Options.TimeProvider?.GetUtcNow() ?? DateTimeOffset.UtcNow).UtcDateTime;
        string clientId = _signIn.Provider.ClientId;
        request.ClientSecret = null;
        request.ClientAssertionType = ClientAssertion.Type;
        request.ClientAssertion = ClientAssertion.Create(certificate, clientId, configuration.Issuer, configuration.TokenEndpoint, now);
    }

    public override Task RedirectToIdentityProviderForSignOut(RedirectContext context)
    {
        // Without a saved ID token the provider checks the post-logout address against this client's registration.
        context.ProtocolMessage.ClientId = _signIn.Provider.ClientId;
        return Task.CompletedTask;
    }

    public override async Task RemoteSignOut(RemoteSignOutContext context)
    {
        // The front-channel sign-out is a GET any site can send a browser to (a link, a redirect: the Lax session cookie
        // goes along and its deletion is taken). It ends the session only when it names the session's own id (sid), which
        // only the identity provider knows; ASP.NET Core's own check is skipped for a session without one.
        string? sid = context.ProtocolMessage?.Sid;
        AuthenticateResult session = await context.HttpContext.AuthenticateAsync(SignInSchemes.Session);
        string? own = session.Principal?.FindFirst(SignInClaims.SessionIdClaim)?.Value;
        string? user = SignInSchemes.UserOf(session.Principal, _signIn.Provider.UserClaim);
        SignInActivityFeature? activity = context.HttpContext.Features.Get<SignInActivityFeature>();
        if (string.IsNullOrEmpty(sid) || string.IsNullOrEmpty(own) || !string.Equals(sid, own, StringComparison.Ordinal))
        {
            context.HandleResponse();
            activity?.Failed(CasbCore.Activity.ActivityKinds.SignOut, "sign_out_refused", user);
            string correlationId = activity?.CorrelationId ?? Guid.NewGuid().ToString("N");
            await SignInPages.WriteAsync(context.HttpContext, StatusCodes.Status400BadRequest, "sign_out_refused", "Sign-out refused",
                "This sign-out does not come from the identity provider of this session. Sign out from a page of this app.", correlationId);
            return;
        }

        // Ended for every gateway of the store, as a sign-out at /.casb/signout is. The provider shows this answer to nobody
        // (a hidden frame), so a failure cannot be told: this browser's cookie is deleted all the same, and the log says
        // that copies of it still work.
        if (session.Properties is { } properties)
        {
            DateTimeOffset now = context.Options.TimeProvider?.GetUtcNow() ?? DateTimeOffset.UtcNow;
            try
            {
                context.HttpContext.RequestServices.GetRequiredService<EndedSessionSet>().EndSession(properties, now);
            }
            catch (CasbCore.CasbException ex)
            {
                // On record as failed: copies of the cookie still work.
                activity?.Failed(CasbCore.Activity.ActivityKinds.SignOut, "sign_out_unavailable", user);
                string correlationId = activity?.CorrelationId ?? Guid.NewGuid().ToString("N");
                context.HttpContext.RequestServices.GetRequiredService<SignInLog>().LogSignOutNotRecorded(
                    ex, context.Request.Host.Host, user, correlationId);
                return;
            }
        }

        activity?.Succeeded(CasbCore.Activity.ActivityKinds.SignOut, user);
    }

    public override async Task RemoteFailure(RemoteFailureContext context)
    {
        context.HandleResponse();
        (int status, string error, string message) = Describe(context.Failure);
        SignInActivityFeature? activity = context.HttpContext.Features.Get<SignInActivityFeature>();
        activity?.Failed(CasbCore.Activity.ActivityKinds.SignIn, error);
        string correlationId = activity?.CorrelationId ?? Guid.NewGuid().ToString("N");
        Logger(context.HttpContext).LogSignInFailed(context.Failure, context.Request.Host.Host, error, correlationId);
        await SignInPages.WriteAsync(context.HttpContext, status, error, "Sign-in failed", message, correlationId);
    }

    /// <summary>What the user is told about a failed sign-in, by the kind of failure (the details go to the log).</summary>
    internal static (int Status, string Error, string Message) Describe(Exception? failure)
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SignInRefusedException refused:
                    return (StatusCodes.Status403Forbidden, "sign_in_refused", refused.Message);
                case GroupLookupException:
                    return (StatusCodes.Status503ServiceUnavailable, "group_lookup_failed",
                        "Sign-in is not available right now: your groups could not be read from the identity provider. Try again later or contact your administrator.");
                case BadHttpRequestException bad:
                    // The browser's POST itself (too large, not a form): no fault of the provider's (it is an IOException too).
                    return (bad.StatusCode, "sign_in_state_invalid",
                        "The sign-in response was changed or does not come from this gateway. Start again from the app.");
                case HttpRequestException or IOException or TaskCanceledException:
                    return (StatusCodes.Status503ServiceUnavailable, "identity_provider_unavailable", SignInPages.UnavailableMessage);
                case OpenIdConnectProtocolInvalidNonceException:
                    return (StatusCodes.Status400BadRequest, "sign_in_nonce_invalid",
                        "The sign-in could not be completed: its nonce is missing, has expired or was used before. Start again from the app.");
                case OpenIdConnectProtocolException protocol when protocol.Message.Contains("error", StringComparison.OrdinalIgnoreCase)
                                                                  && !protocol.Message.StartsWith("IDX", StringComparison.Ordinal):
                    return (StatusCodes.Status403Forbidden, "identity_provider_error",
                        "The identity provider did not sign you in. Start again from the app, or contact your administrator.");
                case SecurityTokenException or OpenIdConnectProtocolException:
                    return (StatusCodes.Status400BadRequest, "sign_in_token_invalid",
                        "The identity provider's answer could not be verified. Start again from the app.");
            }
        }

        string text = failure?.Message ?? "";
        if (text.Contains("IDX20803", StringComparison.Ordinal) || text.Contains("IDX20804", StringComparison.Ordinal))
        {
            return (StatusCodes.Status503ServiceUnavailable, "identity_provider_unavailable", SignInPages.UnavailableMessage);
        }

        if (text.Contains("Correlation failed", StringComparison.OrdinalIgnoreCase))
        {
            return (StatusCodes.Status400BadRequest, "sign_in_expired",
                "The sign-in could not be completed: it has expired, was already used, or was started in another browser. Start again from the app.");
        }

        return (StatusCodes.Status400BadRequest, "sign_in_state_invalid",
            "The sign-in response was changed or does not come from this gateway. Start again from the app.");
    }

    private static SignInLog Logger(HttpContext context) => context.RequestServices.GetRequiredService<SignInLog>();
}

/// <summary>A sign-in the gateway refuses after the identity provider answered (the token names no user).</summary>
internal sealed class SignInRefusedException(string message) : Exception(message);
