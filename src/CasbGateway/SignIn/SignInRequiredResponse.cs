using CasbCore.Policies;
using CasbGateway.Configuration;
using CasbGateway.Enforcement;

namespace CasbGateway.SignIn;

/// <summary>
/// The answer to a request the engine decided needs a signed-in user: a browser's page load goes to the identity
/// provider and comes back to the same path; any other request (an API call, a form post) gets 401, since a redirect
/// would lose its body. Without a usable identity provider: a branded 503 (fail closed).
/// </summary>
internal static class SignInRequiredResponse
{
    public static Task WriteAsync(HttpContext context, EngineState state, AccessDecision decision, string correlationId, DateTimeOffset at)
    {
        HttpRequest request = context.Request;
        if (state.SignIn is not { Problem: null } || !request.IsHttps)
        {
            return SignInPages.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "sign_in_unavailable", "Sign-in unavailable",
                SignInPages.NotConfiguredMessage, correlationId);
        }

        if ((HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) && ResponsePages.WantsHtml(context, decision.ClientAppType))
        {
            // Back to the address the decision was about, as the client spelled it escaped: the decoded Request.Path would
            // turn "%3F" into a query, "%23" into a fragment, "%20" into a space the return address refuses.
            string asked = context.Features.Get<GatewayRequestFeature>()?.Path?.ToString() ?? "/";
            string back = ReturnUrls.Normalize(asked, request.Scheme, request.Host.Value ?? "") ?? "/";
            return SignInChallenge.ChallengeAsync(context, back, correlationId);
        }

        return ResponsePages.WriteAsync(context, StatusCodes.Status401Unauthorized, "sign_in_required", "Sign-in required",
            decision.BlockMessage ?? "Sign in to continue.", decision.App, correlationId, at, decision.ClientAppType);
    }
}
