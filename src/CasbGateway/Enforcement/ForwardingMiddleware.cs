using Microsoft.AspNetCore.Http.Features;
using System.Diagnostics;
using System.Net;
using CasbCore.Model;
using CasbGateway.Hosting;
using CasbGateway.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace CasbGateway.Enforcement;

/// <summary>
/// Proxies an allowed request to its app's upstream with YARP's forwarder (streaming, nothing buffered).
/// An upstream that is down answers a branded 502, one that times out a 504; a client that breaks its own request
/// (malformed body: 400; reset or gone: nothing to answer, recorded as 499) is not counted against the app.
/// </summary>
internal sealed partial class ForwardingMiddleware : IDisposable
{
    /// <summary>nginx's "client closed request": what the record says when the client left before an answer.</summary>
    public const int ClientClosedRequest = 499;

    private readonly RequestDelegate _next;
    private readonly IHttpForwarder _forwarder;
    private readonly HttpMessageInvoker _client;
    private readonly ForwarderRequestConfig _requestConfig;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger<ForwardingMiddleware> _logger;

    public ForwardingMiddleware(
        RequestDelegate next, IHttpForwarder forwarder, GatewayOptions options, GatewayMetrics metrics, ILogger<ForwardingMiddleware> logger)
    {
        _next = next;
        _forwarder = forwarder;
        _metrics = metrics;
        _logger = logger;
        _requestConfig = new ForwarderRequestConfig { ActivityTimeout = options.UpstreamTimeout };
        _client = CreateClient(int.MaxValue);
    }

    /// <summary>
    /// The gateway's upstream client: the shared pool, and each client connection's own (ConnectionBoundUpstream), which
    /// holds one connection per app so that every request after the sign-in goes over the connection it authenticated.
    /// </summary>
    private static HttpMessageInvoker CreateClient(int connectionsPerApp) => new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connectionsPerApp,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            ActivityHeadersPropagator = null,
            // Kestrel reads a request header value as ASCII or UTF-8 and refuses any other byte; written back as UTF-8,
            // the app gets the bytes the client sent. HttpClient's default (ASCII only) failed every such request as a
            // 502 counted against the app (NonAsciiHeaderForwardingTests).
            RequestHeaderEncodingSelector = static (_, _) => System.Text.Encoding.UTF8,
            // An app's header value is read one character per byte, and Kestrel writes it back so
            // (GatewayApp, ResponseHeaderEncodingSelector): the browser gets the bytes the app sent.
            ResponseHeaderEncodingSelector = static (_, _) => System.Text.Encoding.Latin1,
        });

    public async Task InvokeAsync(HttpContext context)
    {
        GatewayRequestFeature feature = context.Features.GetRequiredFeature<GatewayRequestFeature>();
        AppEntry app = feature.App!;
        // An extended CONNECT's method is CONNECT: the method test first keeps the feature lookup off every other request.
        if (HttpMethods.IsConnect(context.Request.Method)
            && context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect
            && !string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase))
        {
            // An HTTP/2 tunnel for anything but a WebSocket (":protocol" h2c, connect-udp...): the forwarder cannot send it
            // and answered 502 "the app is not reachable", counted against the app, so any client could make every app
            // look down. The client asked for what the gateway does not carry: 501, the client's error.
            feature.ErrorSource = ErrorSources.Client;
            feature.Error = $"{ErrorSources.Client} UpgradeNotSupported: an HTTP/2 CONNECT for '{connect.Protocol}'; only WebSocket tunnels are carried.";
            await ResponsePages.WriteAsync(
                context, StatusCodes.Status501NotImplemented, "upgrade_not_supported", "Connection not supported",
                $"The gateway carries no '{connect.Protocol}' connections, only WebSocket ones.", app.Name, feature.CorrelationId, feature.At,
                feature.Decision?.ClientAppType);
            return;
        }

        long started = Stopwatch.GetTimestamp();
        HttpMessageInvoker client = ConnectionBoundUpstream.For(context, static () => CreateClient(1)) ?? _client;
        if (ConnectionBoundUpstream.MustClose(context, client, _client))
        {
            feature.CloseUpstreamConnection = true;
        }

        ForwarderError error = await _forwarder.SendAsync(context, app.Upstream, client, _requestConfig, ForwardingTransformer.Instance);
        feature.UpstreamLatencyMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (error == ForwarderError.None)
        {
            return;
        }

        if (feature.Upload is { Refused: true } upload)
        {
            // Session control refused a part of the body mid-stream: the upstream request was aborted on purpose.
            await SessionControl.UploadControlMiddleware.AnswerRefusedAsync(context, feature, upload);
            return;
        }

        Exception? exception = context.GetForwarderErrorFeature()?.Exception;
        string source = SourceOf(error);
        feature.ErrorSource = source;
        feature.Error = $"{source} {error}: {exception?.Message}";
        if (source == ErrorSources.Client)
        {
            // The client's fault, not the app's: no 502, and upstream-down alerts stay true.
            _metrics.RecordClientError(app.Name, error.ToString());
            LogClientFailed(feature.CorrelationId, app.Name, error, exception?.Message);
            if (context.Response.HasStarted)
            {
                return;
            }

            int status = ClientErrorStatus(context.RequestAborted.IsCancellationRequested, exception);
            if (status == ClientClosedRequest)
            {
                // Nobody is left to answer; recorded (and counted) as nginx's 499 "client closed request".
                context.Response.StatusCode = ClientClosedRequest;
                return;
            }

            (string code, string title, string message) = status switch
            {
                StatusCodes.Status413PayloadTooLarge => ("request_too_large", "Request too large", "The request body is larger than this gateway accepts."),
                StatusCodes.Status408RequestTimeout => ("request_timeout", "Request timed out", "The request body arrived too slowly."),
                _ => ("bad_request", "Bad request", "The request could not be read: its body was malformed or cut short."),
            };
            await ResponsePages.WriteAsync(context, status, code, title, message, app.Name, feature.CorrelationId, feature.At, feature.Decision?.ClientAppType);
            return;
        }

        _metrics.RecordUpstreamError(app.Name, error.ToString());
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
            app.Name, feature.CorrelationId, feature.At, feature.Decision?.ClientAppType);
    }

    /// <summary>
    /// What a request the client broke is recorded as: what Kestrel found wrong with the body (malformed or cut short
    /// 400, too large 413, too slow 408), or 499 when the client left. A client that resets an HTTP/2 stream or drops
    /// the connection mid-body is one that left even while <see cref="HttpContext.RequestAborted"/> still reads false:
    /// Kestrel fails the body read at once and cancels that token a moment later from the thread pool.
    /// </summary>
    internal static int ClientErrorStatus(bool requestAborted, Exception? exception) =>
        requestAborted ? ClientClosedRequest : FindBadRequest(exception)?.StatusCode ?? ClientClosedRequest;

    private static BadHttpRequestException? FindBadRequest(Exception? exception) => exception switch
    {
        null => null,
        BadHttpRequestException bad => bad,
        AggregateException aggregate => aggregate.InnerExceptions.Select(FindBadRequest).FirstOrDefault(b => b is not null),
        _ => FindBadRequest(exception.InnerException),
    };

    /// <summary>Whose fault a forwarding error is: YARP tells the client's side of a copy from the app's.</summary>
    internal static string SourceOf(ForwarderError error) => error switch
    {
        ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient
            or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
            or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient
            or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeResponseClient => ErrorSources.Client,
        ForwarderError.RequestCreation => ErrorSources.Gateway,
        _ => ErrorSources.Upstream,
    };

    public void Dispose() => _client.Dispose();

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Request {CorrelationId} to app {App}: the client broke the request: {Error} {Reason}")]
    private partial void LogClientFailed(string correlationId, string app, ForwarderError error, string? reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Request {CorrelationId} to app {App} at {Upstream} failed: {Error} {Reason}")]
    private partial void LogUpstreamFailed(string correlationId, string app, string upstream, ForwarderError error, string? reason);
}
