using CasbGateway.Configuration;

namespace CasbGateway.Hosting;

internal static class HealthEndpoints
{
    /// <summary>/healthz (the process answers) and /readyz (a configuration is loaded), answered by the gateway on every host.</summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => Results.Text("Healthy\n"));
        endpoints.MapGet("/readyz", (ConfigurationMonitor configuration) =>
            configuration.Current is { } state
                ? Results.Text($"Ready: revision {state.Revision}\n")
                : Results.Text("Not ready: no configuration loaded\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        return endpoints;
    }
}
