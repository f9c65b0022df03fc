using CasbGateway.Enforcement;
using Microsoft.AspNetCore.Authentication;

namespace CasbGateway.SignIn;

/// <summary>Sends a browser to the identity provider; when the provider's metadata cannot be had, a branded 503 instead (fail closed).</summary>
internal static class SignInChallenge
{
    /// <param name="context">The request.</param>
    /// <param name="returnUrl">A local path (see <see cref="ReturnUrls"/>) the browser comes back to after signing in.</param>
    /// <param name="correlationId">The request's correlation id, for the page and the log.</param>
    public static async Task ChallengeAsync(HttpContext context, string returnUrl, string correlationId)
    {
        try
        {
            context.RequestServices.GetRequiredService<IdentityProviderChangeTokenSource>().FollowServed();
            await context.ChallengeAsync(SignInSchemes.OpenIdConnect, new AuthenticationProperties { RedirectUri = returnUrl });
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            context.RequestServices.GetRequiredService<SignInLog>().LogUnavailable(ex, RequestHosts.HostOf(context.Request), ex.Message, correlationId);
            // At /.casb/signin this is a sign-in that failed; for an app's own page the request's record says it.
            context.Features.Get<SignInActivityFeature>()?.Failed(CasbCore.Activity.ActivityKinds.SignIn, "identity_provider_unavailable");
            await SignInPages.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "identity_provider_unavailable", "Sign-in unavailable",
                SignInPages.UnavailableMessage, correlationId);
        }
    }
}
