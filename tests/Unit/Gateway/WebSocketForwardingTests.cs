using System.Net;
using System.Net.WebSockets;
using CasbCore.Activity;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>WebSockets through the gateway: over HTTP/2 (RFC 8441 extended CONNECT) to an HTTP/1.1 upstream.</summary>
public sealed class WebSocketForwardingTests
{
    // An invoker that trusts the gateway's test certificate.
    private static HttpMessageInvoker Invoker()
    {
        var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        return new HttpMessageInvoker(handler);
    }

    // A WebSocket client that asks for HTTP/2 only (extended CONNECT).
    private static ClientWebSocket Http2WebSocket()
    {
        var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;
        return socket;
    }

    private static async Task<(HttpStatusCode Status, string? Error)> ConnectHttp2Async(GatewayHarness harness, string path)
    {
        using HttpMessageInvoker invoker = Invoker();
        using ClientWebSocket socket = Http2WebSocket();
        try
        {
            await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{harness.GatewayUrl.Port}{path}"), invoker, default);
            return (socket.HttpStatusCode, null);
        }
        catch (WebSocketException ex)
        {
            return (socket.HttpStatusCode, ex.Message);
        }
    }

    [Fact]
    public async Task An_HTTP_2_WebSocket_the_app_accepts_is_tunnelled()
    {
        await using var upstream = await FileUpstream.StartAsync(async context =>
        {
            string key = context.Request.Headers["Sec-WebSocket-Key"].ToString();
            context.Response.StatusCode = StatusCodes.Status101SwitchingProtocols;
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.Upgrade = "websocket";
            context.Response.Headers["Sec-WebSocket-Accept"] = Convert.ToBase64String(
                System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            Stream stream = await context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>()!.UpgradeAsync();
            using WebSocket server = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });
            await server.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, default);
            await server.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
        });
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        using HttpMessageInvoker invoker = Invoker();
        using ClientWebSocket socket = Http2WebSocket();

        await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{harness.GatewayUrl.Port}/live"), invoker, default);
        var buffer = new byte[64];
        WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, default);

        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer, 0, received.Count));
    }

    /// <summary>
    /// An app that answers a WebSocket request with a page (a single-page app's fallback, say) has not switched
    /// protocols: the browser must get the gateway's 502, recorded against the app, not a 499 "the client left" for a
    /// client that is still there (the 2xx of a CONNECT stream carries no body, so the page could not be copied).
    /// </summary>
    [Theory]
    [InlineData(200)]
    [InlineData(204)]
    public async Task An_app_that_answers_an_HTTP_2_WebSocket_without_switching_protocols_gives_502_recorded_against_the_app(int upstreamStatus)
    {
        await using var upstream = await FileUpstream.StartAsync(async context =>
        {
            context.Response.StatusCode = upstreamStatus;
            if (upstreamStatus == 200)
            {
                await context.Response.WriteAsync("<!DOCTYPE html><title>app</title>");
            }
        });
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);

        (HttpStatusCode status, _) = await ConnectHttp2Async(harness, "/live");

        Assert.Equal(HttpStatusCode.BadGateway, status);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal((502, "Upstream"), (record.HttpStatus, record.ErrorSource));
    }
}
