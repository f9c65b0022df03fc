using Microsoft.AspNetCore.Http.Features;
using System.Diagnostics;
using System.Net;
using CasbCore.Model;
using CasbGateway.Hosting;
using Yarp.ReverseProxy.Forwarder;

namespace CasbGateway.Enforcement;

/// <summary>
/// Proxies an allowed request to its app's upstream with YARP's forwarder (streaming, nothing buffered).
/// An upstream that is down answers a branded 502, one that times out a 504.
/// </summary>
internal sealed partial class ForwardingMiddleware : IDisposable
{
    private readonly RequestDelegate _next;
    private readonly IHttpForwarder _forwarder;
    private readonly HttpMessageInvoker _client;
    private readonly ForwarderRequestConfig _requestConfig;
    private readonly ILogger<ForwardingMiddleware> _logger;

    public ForwardingMiddleware(RequestDelegate next, IHttpForwarder forwarder, GatewayOptions options, ILogger<ForwardingMiddleware> logger)
    {
        _next = next;
        _forwarder = forwarder;
        _logger = logger;
        _requestConfig = new ForwarderRequestConfig { ActivityTimeout = options.UpstreamTimeout };
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            ActivityHeadersPropagator = null,
        });
    }

    public async Task InvokeAsync(HttpContext context)
    {
        GatewayRequestFeature feature = context.Features.GetRequiredFeature<GatewayRequestFeature>();
        AppEntry app = feature.State!.Apps[feature.Decision!.Value.App!];

        long started = Stopwatch.GetTimestamp();
        ForwarderError error = await _forwarder.SendAsync(context, app.Upstream, _client, _requestConfig, ForwardingTransformer.Instance);
        feature.UpstreamLatencyMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (error == ForwarderError.None)
        {
            return;
        }

        Exception? exception = context.GetForwarderErrorFeature()?.Exception;
        feature.Error = $"Upstream {error}: {exception?.Message}";
        LogUpstreamFailed(feature.CorrelationId, app.Name, app.Upstream, error, exception?.Message);
        if (context.Response.HasStarted)
        {
            return;
        }

        bool timedOut = error == ForwarderError.RequestTimedOut || context.Response.StatusCode == StatusCodes.Status504GatewayTimeout;
        await ResponsePages.WriteAsync(
            context,
            timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway,
            timedOut ? "upstream_timeout" : "upstream_unavailable",
            timedOut ? "The app did not answer in time" : "The app is not reachable",
            timedOut
                ? $"The app '{app.Name}' did not answer in time. Try again later."
                : $"The app '{app.Name}' cannot be reached right now. Try again later.",
            app.Name, feature.CorrelationId, feature.At, feature.Decision.Value.ClientAppType);
    }

    public void Dispose() => _client.Dispose();

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Request {CorrelationId} to app {App} at {Upstream} failed: {Error} {Reason}")]
    private partial void LogUpstreamFailed(string correlationId, string app, string upstream, ForwarderError error, string? reason);
}
