using CasbGateway.Enforcement;

namespace CasbGateway.SignIn;

/// <summary>The branded pages of sign-in and sign-out (the block page's look: HTML for browsers, JSON for other clients).</summary>
internal static class SignInPages
{
    public const string UnavailableMessage =
        "Sign-in is not available right now: the identity provider cannot be reached. Try again later or contact your administrator.";

    public const string NotConfiguredMessage =
        "Sign-in is not available right now: the gateway's identity provider is not fully configured. Contact your administrator.";

    public static Task WriteAsync(HttpContext context, int status, string error, string title, string message, string correlationId, string? user = null) =>
        ResponsePages.WriteAsync(context, status, error, title, message, null, correlationId, DateTimeOffset.UtcNow, null, signedInUser: user);

    public static Task NotFoundAsync(HttpContext context, string correlationId) =>
        WriteAsync(context, StatusCodes.Status404NotFound, "not_found", "Not found", "There is nothing at this address.", correlationId);
}
