using CasbGateway.Configuration;

namespace CasbGateway.Hosting;

internal static class HealthEndpoints
{
    public const string ProcessIdHeader = "X-Casb-Gateway-Process-Id";

    /// <summary>/healthz (the process answers) and /readyz (a configuration is loaded), answered by the gateway on every host.</summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", (HttpContext context) =>
        {
            // Lets Start-CasbGateway tell its own process from another one already on the port.
            context.Response.Headers[ProcessIdHeader] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Text("Healthy\n");
        });
        endpoints.MapGet("/readyz", (ConfigurationMonitor configuration) =>
            configuration.Current is { } state
                ? Results.Text($"Ready: revision {state.Revision}\n")
                : Results.Text("Not ready: no configuration loaded\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        return endpoints;
    }
}
