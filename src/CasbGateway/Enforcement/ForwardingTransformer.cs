using Microsoft.AspNetCore.Http.Features;
using System.Net.Http.Headers;
using CasbCore.Policies;
using CasbGateway.SessionControl;
using Yarp.ReverseProxy.Forwarder;

namespace CasbGateway.Enforcement;

/// <summary>
/// Request transform for the upstream: the canonical path the engine decided on (never the client's spelling of
/// it) with the query as received, YARP's default header copy, the upstream's own Host (the original
/// one goes in X-Forwarded-Host), X-Forwarded-For/-Proto/-Host set by the gateway, and, when the app asks for
/// it, the validated leaf certificate as an RFC 9440 Client-Cert header. Response transform: session control
/// (a blocked download never reaches the client), then YARP's default copy. The gateway's own cookies (sign-in
/// session, correlation, nonce) never reach the upstream, and the upstream cannot set one.
/// </summary>
internal sealed class ForwardingTransformer : HttpTransformer
{
    public const string ClientCertHeader = "Client-Cert";

    public static ForwardingTransformer Instance { get; } = new();

    /// <summary>Removes the gateway's cookies from the Cookie header sent upstream (the header is left alone when it has none).</summary>
    internal static void StripGatewayCookies(Microsoft.Extensions.Primitives.StringValues inbound, HttpRequestHeaders headers)
    {
        if (inbound.Count == 0 || !inbound.Any(c => c is not null && c.Contains(SignIn.SignInSchemes.CookiePrefix, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        string kept = string.Join("; ", inbound
            .SelectMany(c => (c ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(pair => !IsGatewayCookie(pair)));
        headers.Remove("Cookie");
        if (kept.Length > 0)
        {
            headers.TryAddWithoutValidation("Cookie", kept);
        }
    }

    private static bool IsGatewayCookie(ReadOnlySpan<char> cookie) =>
        cookie.StartsWith(SignIn.SignInSchemes.CookiePrefix, StringComparison.OrdinalIgnoreCase);

    public override async ValueTask TransformRequestAsync(
        HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.Headers.Host = null;

        GatewayRequestFeature feature = httpContext.Features.GetRequiredFeature<GatewayRequestFeature>();
        RequestPath path = feature.Path ?? throw new InvalidOperationException("The request was not decided on a canonical path.");
        proxyRequest.RequestUri = DestinationAddress(destinationPrefix, path);
        HttpRequestHeaders headers = proxyRequest.Headers;
        string peer = feature.RemoteAddress?.ToString() ?? "unknown";
        headers.Remove("X-Forwarded-For");
        headers.TryAddWithoutValidation("X-Forwarded-For", feature.TrustedForwardedFor is { Length: > 0 } chain ? $"{chain}, {peer}" : peer);
        headers.Remove("X-Forwarded-Proto");
        headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
        headers.Remove("X-Forwarded-Host");
        // As sent: Request.Host.Value would turn an "xn--" name into Unicode, which is no header value.
        headers.TryAddWithoutValidation("X-Forwarded-Host", httpContext.Request.Headers.Host.ToString());
        headers.Remove(ClientCertHeader);
        StripGatewayCookies(httpContext.Request.Headers.Cookie, headers);
        if (feature.Decision is { SessionControls: not null })
        {
            // Session control reads the start of some bodies (a text/plain one the browser sniffs): the app is offered
            // only the codings the gateway can decode, so it never answers one the gateway must fail closed on.
            DecodableCodings.Narrow(headers);
        }

        if (feature.CloseUpstreamConnection)
        {
            headers.ConnectionClose = true;
        }

        if (feature.Decision is { Certificate.IsValid: true } && feature.App is { ForwardClientCertificate: true }
            && httpContext.Connection.ClientCertificate is { } certificate)
        {
            headers.TryAddWithoutValidation(ClientCertHeader, ":" + Convert.ToBase64String(certificate.RawData) + ":");
        }
    }

    /// <summary>
    /// An app's Location or Content-Location at its upstream's own host and port (the upstream's path, if any, taken off as
    /// it was put on), as the gateway's address the client used: the upstream receives its own Host, so an app that writes
    /// absolute URLs writes its internal address, and a browser that followed it left the gateway and its enforcement
    /// (nginx's proxy_redirect default). Read as a browser reads it (scheme-relative, '\\' for '/', tabs dropped...), under
    /// any scheme: an app told X-Forwarded-Proto https writes https with its own http host and port. Any other value as it is.
    /// </summary>
    internal static Microsoft.Extensions.Primitives.StringValues ToGatewayAddress(
        Microsoft.Extensions.Primitives.StringValues values, Uri origin, string gateway)
    {
        if (values.Count == 0)
        {
            return values;
        }

        string[] rewritten = values.ToArray()!;
        for (int i = 0; i < rewritten.Length; i++)
        {
            rewritten[i] = AtGateway(rewritten[i] ?? "", origin, gateway) ?? rewritten[i];
        }

        return rewritten;
    }

    /// <summary>
    /// A Refresh header's URL ("5; url='...'", HTML's declarative refresh: browsers follow it like a redirect) at the
    /// upstream's address, as the gateway's (<see cref="ToGatewayAddress"/>); the delay and quotes as the app wrote them.
    /// </summary>
    internal static Microsoft.Extensions.Primitives.StringValues RefreshToGatewayAddress(
        Microsoft.Extensions.Primitives.StringValues values, Uri origin, string gateway)
    {
        string[] rewritten = values.ToArray()!;
        for (int i = 0; i < rewritten.Length; i++)
        {
            string value = rewritten[i] ?? "";
            (int start, int length) = RefreshUrl(value);
            if (length > 0 && AtGateway(value.Substring(start, length), origin, gateway) is { } url)
            {
                rewritten[i] = string.Concat(value.AsSpan(0, start), url, value.AsSpan(start + length));
            }
        }

        return rewritten;
    }

    private const string RefreshHeader = "Refresh";

    // HTML's "shared declarative refresh steps": where the URL is in "<delay>[;,] [url=]['"]<url>['"]".
    private static (int Start, int Length) RefreshUrl(string value)
    {
        int at = 0;
        SkipSpace();
        int digits = at;
        while (at < value.Length && (char.IsAsciiDigit(value[at]) || value[at] == '.'))
        {
            at++;
        }

        if (at == digits || at == value.Length || value[at] is not (';' or ',' or ' ' or '\t' or '\n' or '\f' or '\r'))
        {
            return (0, 0);
        }

        SkipSpace();
        if (at < value.Length && value[at] is ';' or ',')
        {
            at++;
        }

        SkipSpace();
        int url = at;
        if (value.AsSpan(at).StartsWith("url", StringComparison.OrdinalIgnoreCase))
        {
            at += 3;
            SkipSpace();
            if (at < value.Length && value[at] == '=')
            {
                at++;
                SkipSpace();
                url = at;
            }
        }

        at = url;
        if (at < value.Length && value[at] is '\'' or '"')
        {
            char quote = value[at++];
            int close = value.IndexOf(quote, at);
            return (at, (close < 0 ? value.Length : close) - at);
        }

        return (at, value.Length - at);

        void SkipSpace()
        {
            while (at < value.Length && value[at] is ' ' or '\t' or '\n' or '\f' or '\r')
            {
                at++;
            }
        }
    }

    /// <summary>One URL at the upstream's host and port as the gateway's address, or null for any other.</summary>
    private static string? AtGateway(string value, Uri origin, string gateway)
    {
        // As WHATWG URL parsing reads it: C0 controls and spaces around taken off, tabs and newlines anywhere dropped,
        // '\\' as '/' before the query (http and https are special schemes).
        string url = value.Trim(ControlsAndSpace).Replace("\t", "", StringComparison.Ordinal)
            .Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal);
        int query = url.IndexOfAny(['?', '#']);
        url = query < 0 ? url.Replace('\\', '/') : string.Concat(url[..query].Replace('\\', '/'), url.AsSpan(query));

        string pageScheme = gateway[..gateway.IndexOf(':')];
        string scheme;
        string afterScheme;
        if (url.StartsWith("//", StringComparison.Ordinal))
        {
            scheme = pageScheme;
            afterScheme = url[2..];
        }
        else
        {
            int colon = url.IndexOf(':');
            if (colon < 0 || !(url.AsSpan(0, colon).Equals("http", StringComparison.OrdinalIgnoreCase)
                               || url.AsSpan(0, colon).Equals("https", StringComparison.OrdinalIgnoreCase)))
            {
                return null;
            }

            scheme = url[..colon].ToLowerInvariant();
            afterScheme = url[(colon + 1)..];
            // The page's own scheme needs "//" before an authority ("https:next" is a path); another scheme takes any slashes.
            if (scheme == pageScheme && !afterScheme.StartsWith("//", StringComparison.Ordinal))
            {
                return null;
            }

            afterScheme = afterScheme.TrimStart('/');
        }

        int end = afterScheme.IndexOfAny(['/', '?', '#']);
        string authority = end < 0 ? afterScheme : afterScheme[..end];
        string rest = end < 0 ? "" : afterScheme[end..];
        // The host as a browser takes it: after any user info, percent-escapes decoded.
        string host = Uri.UnescapeDataString(authority[(authority.LastIndexOf('@') + 1)..]);
        if (!Uri.TryCreate(scheme + "://" + host + "/", UriKind.Absolute, out Uri? target)
            || !string.Equals(HostOf(target), HostOf(origin), StringComparison.OrdinalIgnoreCase)
            || target.Port != origin.Port)
        {
            return null;
        }

        string basePath = origin.AbsolutePath.TrimEnd('/');
        if (basePath.Length > 0 && rest.StartsWith(basePath, StringComparison.OrdinalIgnoreCase)
            && (rest.Length == basePath.Length || rest[basePath.Length] is '/' or '?' or '#'))
        {
            rest = rest[basePath.Length..];
        }

        return gateway + (rest.StartsWith('/') ? rest : "/" + rest);
    }

    // The host as DNS takes it: IP literals in their one form, no trailing dot.
    private static string HostOf(Uri uri)
    {
        string host = uri.IdnHost.TrimEnd('.');
        return System.Net.IPAddress.TryParse(host.Trim('[', ']'), out System.Net.IPAddress? address) ? address.ToString() : host;
    }

    private static readonly char[] ControlsAndSpace = Enumerable.Range(0, 0x21).Select(c => (char)c).ToArray();

    /// <summary>The gateway's own header namespace (X-Casb-Correlation-Id...): what the client reads in it is the gateway's word.</summary>
    internal const string GatewayHeaderPrefix = "X-Casb-";

    /// <summary>
    /// Removes an upstream's headers (or trailers) in the gateway's namespace before they are copied: an app answering
    /// X-Casb-Correlation-Id gave the client a second id, one that names no record, or another user's.
    /// </summary>
    internal static void RemoveGatewayHeaders(HttpHeaders headers)
    {
        List<string>? names = null;
        foreach (KeyValuePair<string, HeaderStringValues> header in headers.NonValidated)
        {
            if (header.Key.StartsWith(GatewayHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                (names ??= []).Add(header.Key);
            }
        }

        if (names is not null)
        {
            foreach (string name in names)
            {
                headers.Remove(name);
            }
        }
    }

    public override ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        RemoveGatewayHeaders(proxyResponse.TrailingHeaders);
        return base.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
    }

    /// <summary>
    /// The one place that decides whether an upstream's answer may turn the connection into a tunnel, which carries bytes
    /// the gateway never decides again. Only a WebSocket the app really accepted passes: the client asked for one (HTTP/1.1
    /// Upgrade: websocket, or an HTTP/2 extended CONNECT for it), and the app's 101 names websocket and carries the
    /// Sec-WebSocket-Accept of the key sent to it (RFC 6455 section 4.1, as a browser checks it). Refused: a 101 from an app
    /// whose page answers a status of the client's choosing on a server that goes on reading HTTP on the connection (the
    /// client's next requests reached the app undecided: "WebSocket smuggling"), and an HTTP/2 extended CONNECT that an
    /// HTTP/1.1 upstream answered with a 2xx instead of 101 (copied, the 2xx told the client its tunnel is open, and a body
    /// cannot follow it on a CONNECT stream: Kestrel refused it, a 499 for a client still there).
    /// </summary>
    /// <returns>The protocol the client asked for ("websocket", an extended CONNECT's ":protocol", "none"), or null.</returns>
    internal static string? RefusedUpgrade(HttpContext httpContext, HttpResponseMessage? proxyResponse)
    {
        if (proxyResponse is null)
        {
            return null;
        }

        // Only a 101 or a CONNECT can open a tunnel: every other response is passed without a feature lookup.
        bool isConnect = HttpMethods.IsConnect(httpContext.Request.Method);
        if (!isConnect && proxyResponse.StatusCode != System.Net.HttpStatusCode.SwitchingProtocols)
        {
            return null;
        }

        IHttpExtendedConnectFeature? connect = httpContext.Features.Get<IHttpExtendedConnectFeature>();
        if (proxyResponse.StatusCode == System.Net.HttpStatusCode.SwitchingProtocols)
        {
            bool askedForWebSocket = connect is { IsExtendedConnect: true }
                ? string.Equals(connect.Protocol, WebSocketProtocol, StringComparison.OrdinalIgnoreCase)
                : httpContext.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
                  && string.Equals(httpContext.Request.Headers.Upgrade.ToString().Trim(), WebSocketProtocol, StringComparison.OrdinalIgnoreCase);
            return askedForWebSocket && AcceptsWebSocket(proxyResponse)
                ? null
                : connect is { IsExtendedConnect: true } ? connect.Protocol ?? "CONNECT"
                : httpContext.Request.Headers.Upgrade.ToString() is { Length: > 0 } upgrade ? upgrade : "none";
        }

        return isConnect
            && proxyResponse is { Version.Major: < 2 } && (int)proxyResponse.StatusCode is >= 200 and < 300
            && connect is { IsExtendedConnect: true }
            ? connect.Protocol ?? "CONNECT"
            : null;
    }

    private const string WebSocketProtocol = "websocket";

    // RFC 6455 section 1.3: the accept is the SHA-1 of the key and this GUID, in base64.
    private const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>An upstream's 101 that switched to WebSocket for the key the gateway sent it (the client's, or YARP's own for HTTP/2).</summary>
    private static bool AcceptsWebSocket(HttpResponseMessage proxyResponse)
    {
        static string? Single(System.Net.Http.Headers.HttpHeaders headers, string name) =>
            headers.NonValidated.TryGetValues(name, out System.Net.Http.Headers.HeaderStringValues values) && values.Count == 1
                ? values.ToString().Trim()
                : null;

        string? key = proxyResponse.RequestMessage is { } request ? Single(request.Headers, "Sec-WebSocket-Key") : null;
        string? accept = Single(proxyResponse.Headers, "Sec-WebSocket-Accept");
        if (key is not { Length: > 0 } || accept is null
            || !string.Equals(Single(proxyResponse.Headers, "Upgrade"), WebSocketProtocol, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string expected = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.ASCII.GetBytes(key + WebSocketGuid)));
        return string.Equals(accept, expected, StringComparison.Ordinal);
    }

    private static Task AnswerRefusedUpgradeAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, string protocol)
    {
        GatewayRequestFeature feature = httpContext.Features.GetRequiredFeature<GatewayRequestFeature>();
        string app = feature.App?.Name ?? "";
        feature.ErrorSource = ErrorSources.Upstream;
        feature.Error = proxyResponse.StatusCode == System.Net.HttpStatusCode.SwitchingProtocols
            ? $"{ErrorSources.Upstream} UpgradeNotAccepted: the app answered 101 to a request for '{protocol}' without accepting a WebSocket; no tunnel was opened."
            : $"{ErrorSources.Upstream} UpgradeNotAccepted: the app answered {(int)proxyResponse.StatusCode} to a '{protocol}' request instead of switching protocols.";
        httpContext.RequestServices.GetRequiredService<Telemetry.GatewayMetrics>().RecordUpstreamError(app, "UpgradeNotAccepted");
        return ResponsePages.WriteAsync(
            httpContext, StatusCodes.Status502BadGateway, "upstream_unavailable", "The app is not reachable",
            $"The app '{app}' did not accept the '{protocol}' connection.", feature.App?.Name, feature.CorrelationId, feature.At,
            feature.Decision?.ClientAppType);
    }

    /// <summary>
    /// The upstream's address (its own path, if any, in front) with the canonical path and the query as received.
    /// System.Uri would otherwise canonicalize once more on its own terms (unescape "%41", re-escape "%zz" in the
    /// query, resolve "%2E" segments), and the upstream must receive exactly <see cref="RequestPath.Escaped"/>.
    /// </summary>
    /// <remarks>The prefix trimmed as a span: an upstream configured with a trailing slash (the usual "http://host:port/")
    /// cost a trimmed copy of it per request.</remarks>
    internal static Uri DestinationAddress(string destinationPrefix, RequestPath path) =>
        new(string.Concat(destinationPrefix.AsSpan().TrimEnd('/'), path.Escaped, path.Query), new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (RefusedUpgrade(httpContext, proxyResponse) is { } protocol)
        {
            await AnswerRefusedUpgradeAsync(httpContext, proxyResponse!, protocol);
            return false;
        }

        if (!await DownloadControl.AllowAsync(httpContext, proxyResponse, cancellationToken))
        {
            return false;
        }

        if (proxyResponse is not null)
        {
            RemoveGatewayHeaders(proxyResponse.Headers);
            RepeatedContentLength.Collapse(proxyResponse.Content.Headers);
        }

        bool proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        IHeaderDictionary responseHeaders = httpContext.Response.Headers;
        if ((responseHeaders.Location.Count > 0 || responseHeaders.ContentLocation.Count > 0 || responseHeaders.ContainsKey(RefreshHeader))
            && httpContext.Features.GetRequiredFeature<GatewayRequestFeature>() is { State: { } state, App: { } app }
            && state.Upstreams.TryGetValue(app.Name, out Uri? upstream))
        {
            // The Host header as sent, as X-Forwarded-Host: Request.Host.Value would write an "xn--" name in Unicode.
            string gateway = string.Concat(httpContext.Request.Scheme, "://", httpContext.Request.Headers.Host.ToString());
            responseHeaders.Location = ToGatewayAddress(responseHeaders.Location, upstream, gateway);
            responseHeaders.ContentLocation = ToGatewayAddress(responseHeaders.ContentLocation, upstream, gateway);
            if (responseHeaders.TryGetValue(RefreshHeader, out Microsoft.Extensions.Primitives.StringValues refresh))
            {
                responseHeaders[RefreshHeader] = RefreshToGatewayAddress(refresh, upstream, gateway);
            }
        }

        Microsoft.Extensions.Primitives.StringValues setCookies = httpContext.Response.Headers.SetCookie;
        if (setCookies.Count > 0)
        {
            string[] kept = setCookies.Where(c => c is not null && !IsGatewayCookie(c.AsSpan().TrimStart())).ToArray()!;
            if (kept.Length != setCookies.Count)
            {
                httpContext.Response.Headers.SetCookie = kept;
            }
        }

        if (proceed && proxyResponse is not null && NoContentResponses.HasNoContent(proxyResponse.StatusCode))
        {
            // No body is read from the app nor written to the client (NoContentResponseTests).
            NoContentResponses.ClearFraming(httpContext.Response);
            return false;
        }

        return proceed;
    }
}
