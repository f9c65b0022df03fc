using CasbGateway.Activity;

namespace CasbGateway.Enforcement;

internal static class ApplicationBuilderEnforcementExtensions
{
    /// <summary>
    /// The enforcement pipeline, in order: activity record (outermost, sees every outcome), fail closed,
    /// header stripping, the sign-in session (apps that sign users in), decision, forwarding (terminal).
    /// </summary>
    /// <param name="app">The gateway's application builder.</param>
    /// <param name="skip">Requests the gateway answers itself (health, metrics): they bypass enforcement.</param>
    public static IApplicationBuilder UseCasbEnforcement(this IApplicationBuilder app, Func<HttpContext, bool> skip) =>
        app.UseWhen(context => !skip(context), enforced => enforced
            .UseMiddleware<ActivityMiddleware>()
            .UseMiddleware<FailClosedMiddleware>()
            .UseMiddleware<HeaderStrippingMiddleware>()
            .UseMiddleware<SignIn.SignInSessionMiddleware>()
            .UseMiddleware<DecisionMiddleware>()
            .UseMiddleware<ForwardingMiddleware>());
}
