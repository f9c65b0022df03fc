using CasbGateway.Activity;
using CasbGateway.SessionControl;

namespace CasbGateway.Enforcement;

internal static class ApplicationBuilderEnforcementExtensions
{
    /// <summary>
    /// The enforcement pipeline, in order: activity record and fail closed (outermost, sees every outcome),
    /// header stripping, the sign-in session (apps that sign users in), decision, upload control (session control of the
    /// request), forwarding (terminal; session control of downloads is its response transform).
    /// </summary>
    /// <param name="app">A branch of the gateway's application builder: the pipeline ends in forwarding.</param>
    public static IApplicationBuilder UseCasbEnforcement(this IApplicationBuilder app) => app
        .UseMiddleware<ActivityMiddleware>()
        .UseMiddleware<HeaderStrippingMiddleware>()
        .UseMiddleware<SignIn.SignInSessionMiddleware>()
        .UseMiddleware<DecisionMiddleware>()
        .UseMiddleware<UploadControlMiddleware>()
        .UseMiddleware<ForwardingMiddleware>();
}
