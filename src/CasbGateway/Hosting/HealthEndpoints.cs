using System.Globalization;
using System.Net;
using Microsoft.Extensions.Primitives;
using CasbCore.Policies;
using CasbGateway.Configuration;

namespace CasbGateway.Hosting;

internal static class HealthEndpoints
{
    public const string ProcessIdHeader = "X-Casb-Gateway-Process-Id";

    /// <summary>
    /// Whether the request comes from a caller in --metrics-allow: the client's address as the engine reads it, so behind a
    /// trusted proxy the right-most X-Forwarded-For entry, not the proxy. Taken from the peer alone, a proxy on the gateway's
    /// own host (loopback, the default range) or in its network handed every client it relays /metrics and the details.
    /// </summary>
    public static bool IsMetricsCaller(HttpContext context, GatewayOptions options) =>
        Enforcement.HeaderStrippingMiddleware.ClientAddress(
                context.RequestServices.GetRequiredService<ConfigurationMonitor>().Current, context.Connection.RemoteIpAddress, context.Request.Headers)
            is { } caller && IPRanges.ContainsAny(options.MetricsAllowedFrom, caller);

    /// <summary>
    /// /healthz (the process answers) and /readyz (a configuration is loaded), answered by the gateway on every host.
    /// Details (process id, revision, content hash, why it is degraded, the store path) only for the callers allowed
    /// to read /metrics; anyone else learns "Healthy" / "Ready" / "Not ready" and the status code.
    /// </summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints, GatewayOptions options)
    {
        bool Trusted(HttpContext context) => IsMetricsCaller(context, options);

        // Request delegates, not handlers with parameters: those are compiled by the request delegate factory from
        // expression trees at start, which maps System.Linq.Expressions (2.3 MB resident) and compiles its code in a
        // process that has no other use for it (docs/benchmarks.md, "Fifth pass: memory"; GatewayMemoryTests keeps it so).
        endpoints.MapGet(OwnEndpoints.Health, (RequestDelegate)(context =>
        {
            if (Trusted(context))
            {
                // Lets Start-CasbGateway tell its own process from another one already on the port.
                context.Response.Headers[ProcessIdHeader] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            }

            return Results.Text("Healthy\n").ExecuteAsync(context);
        }));
        endpoints.MapGet(OwnEndpoints.Readiness, (RequestDelegate)(context => Ready(context).ExecuteAsync(context)));
        return endpoints;

        IResult Ready(HttpContext context)
        {
            ConfigurationMonitor configuration = context.RequestServices.GetRequiredService<ConfigurationMonitor>();
            Activity.ActivityRecorder activity = context.RequestServices.GetRequiredService<Activity.ActivityRecorder>();
            if (configuration.Current is not { } state)
            {
                return Results.Text(
                    Trusted(context) ? "Not ready: no configuration loaded\n" : "Not ready\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            if (!Trusted(context))
            {
                return Results.Text("Ready\n");
            }

            // Degraded stays 200: the last good configuration is enforced correctly, and taking every replica of a
            // shared store out of rotation would turn a deleted or bad file into an outage. Alert on the metric.
            // So does an activity sink that fails: its records wait in a bounded queue, and the metric counts any it drops.
            // And a list of ended sessions that cannot be read while users sign in: the list read last is enforced.
            string? endedSessions = state.SignIn is not null && context.RequestServices.GetService<SignIn.EndedSessionSet>()?.Problem is { } problem
                ? $"sign-outs: the list read last is in use ({problem})"
                : null;
            string degraded = string.Join("; ", new[] { configuration.Degraded, activity.Degraded, endedSessions }.OfType<string>());
            degraded = degraded.Length > 0 ? $"; degraded: {degraded}" : "";
            return Results.Text($"Ready: revision {state.Revision} (sha256 {state.ShortHash}){degraded}\n");
        }
    }
}
