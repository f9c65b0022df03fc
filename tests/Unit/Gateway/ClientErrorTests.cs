using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using CasbGateway.Enforcement;

namespace CasbModule.Tests.Gateway;

/// <summary>A client that breaks its own request is answered and counted as the client's fault, never as the app's 502.</summary>
[Collection(GatewayMetricsCollection.Name)]
public sealed class ClientErrorTests
{
    [Fact]
    public async Task A_malformed_chunked_body_gets_400_and_is_recorded_and_counted_as_a_client_error()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);

        string response = await RawHttpsAsync(harness.GatewayUrl.Port,
            "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "5\r\nhello\r\nnot-a-chunk-size\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", response);
        Assert.Contains("\"error\":\"bad_request\"", response);
        Assert.DoesNotContain("not reachable", response);
        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(400, record.HttpStatus);
        Assert.Equal("Client", record.ErrorSource);
        Assert.Contains("RequestBodyClient", record.Error);
        string metrics = await ScrapeAsync(harness, "casb_gateway_client_errors_total");
        Assert.Matches(@"casb_gateway_client_errors_total\{[^}]*error=""RequestBodyClient""[^}]*\} 1\b", metrics);
        Assert.DoesNotContain("casb_gateway_upstream_errors_total{", metrics);
        Assert.DoesNotMatch(@"casb_gateway_requests_total\{[^}]*status=""502""", metrics);
    }

    [Fact]
    public async Task An_HTTP2_client_that_cancels_mid_upload_is_recorded_as_499_client_and_never_as_an_upstream_failure()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient(version: HttpVersion.Version20);
        var content = new StalledContent();
        using var message = new HttpRequestMessage(HttpMethod.Post, "/upload") { Version = HttpVersion.Version20, Content = content };
        using var cancel = new CancellationTokenSource();

        Task<HttpResponseMessage> send = client.SendAsync(message, cancel.Token);
        await content.FirstBytesSent.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (int i = 0; i < 100 && harness.UpstreamRequests == 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, harness.UpstreamRequests);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);

        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(ForwardingMiddleware.ClientClosedRequest, record.HttpStatus);
        Assert.Equal("Client", record.ErrorSource);
        Assert.StartsWith("Client ", record.Error);
        string metrics = await ScrapeAsync(harness, "casb_gateway_client_errors_total");
        Assert.Matches(@"casb_gateway_client_errors_total\{[^}]*app=""Sample App""[^}]*\} 1\b", metrics);
        Assert.DoesNotContain("casb_gateway_upstream_errors_total{", metrics);
        Assert.Matches(@"casb_gateway_requests_total\{[^}]*status=""499""[^}]*\} 1\b", metrics);
    }

    [Fact]
    public void A_broken_body_is_the_client_leaving_unless_Kestrel_found_it_malformed_whatever_the_wrapping_or_the_abort_token_says()
    {
        // The HTTP/2 test above failed once in CI as 400: Kestrel fails the body read on RST_STREAM at once and cancels
        // RequestAborted a moment later from the thread pool, so "not aborted yet" does not mean "malformed". Every
        // shape YARP hands over (the exception itself, as an inner exception, inside an aggregate among others).
        static IEnumerable<Exception> Wrapped(Exception e) =>
        [
            e,
            new IOException("copy failed", e),
            new AggregateException(e),
            new AggregateException(new IOException("first"), new InvalidOperationException("second", e)),
        ];

        Exception[] left =
        [
            new IOException("The client reset the request stream."),
            new Microsoft.AspNetCore.Connections.ConnectionResetException("Connection reset by peer"),
            new Microsoft.AspNetCore.Connections.ConnectionAbortedException("The connection was aborted by the application."),
            new OperationCanceledException(),
            new TaskCanceledException(),
        ];
        foreach (bool aborted in new[] { false, true })
        {
            Assert.Equal(ForwardingMiddleware.ClientClosedRequest, ForwardingMiddleware.ClientErrorStatus(aborted, null));
            foreach (Exception exception in left.SelectMany(Wrapped))
            {
                Assert.True(ForwardingMiddleware.ClientErrorStatus(aborted, exception) == ForwardingMiddleware.ClientClosedRequest,
                    $"aborted {aborted}: {exception.GetType().Name} ({exception.Message}) was not recorded as the client leaving");
            }

            foreach (int status in new[] { 400, 408, 413 })
            {
                foreach (Exception exception in Wrapped(new Microsoft.AspNetCore.Http.BadHttpRequestException("bad body", status)))
                {
                    // Once the client has gone there is nobody to answer, malformed body or not.
                    Assert.Equal(aborted ? ForwardingMiddleware.ClientClosedRequest : status, ForwardingMiddleware.ClientErrorStatus(aborted, exception));
                }
            }
        }
    }

    [Fact]
    public async Task A_body_over_the_configured_limit_gets_413_as_a_client_error()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(maxRequestBodySize: 1024 * 1024);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);

        // A 2 MB upload, of which only the first 64 KB is sent before the answer is read: the gateway refuses the body by
        // its Content-Length and closes. (HttpClient, which writes the whole body first, could meet that close as a
        // broken pipe before it read the answer: a race of the client, not what the gateway sends.)
        string response = await RawHttpsAsync(harness.GatewayUrl.Port,
            "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nContent-Length: 2097152\r\n\r\n" + new string('x', 64 * 1024));

        Assert.StartsWith("HTTP/1.1 413", response);
        Assert.Contains("\"error\":\"request_too_large\"", response);
        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(413, record.HttpStatus);
        Assert.Equal("Client", record.ErrorSource);
    }

    [Fact]
    public async Task A_body_that_trickles_in_below_the_minimum_data_rate_gets_408_as_a_client_error()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);

        // 10 of 100,000 bytes, then silence: Kestrel's minimum body data rate (240 B/s after a 5 s grace) ends it.
        string response = await RawHttpsAsync(harness.GatewayUrl.Port,
            "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nContent-Length: 100000\r\n\r\n0123456789");

        Assert.StartsWith("HTTP/1.1 408", response);
        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(408, record.HttpStatus);
        Assert.Equal("Client", record.ErrorSource);
    }

    [Theory]
    [InlineData("Content-Length: 44\r\nTransfer-Encoding: chunked")]
    [InlineData("Transfer-Encoding: chunked\r\nContent-Length: 44")]
    [InlineData("Content-Length: 44\r\nTransfer-Encoding: identity, chunked")]
    public async Task A_request_framed_two_ways_cannot_smuggle_an_undecided_request_to_the_app(string framing)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => request.Path.StartsWith("/smuggled", StringComparison.Ordinal)
            ? new CasbCore.Policies.AccessDecision { Action = CasbCore.Policies.AccessAction.Block, App = GatewayHarness.AppName, Revision = state.Revision }
            : harness.Allow(state, request);

        // Chunked, the body is empty and "GET /smuggled" is a second request; by Content-Length it is the body.
        string response = await RawHttpsAsync(harness.GatewayUrl.Port,
            $"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n{framing}\r\n\r\n" +
            "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", closeAfterFirstAnswer: false);

        Assert.DoesNotContain(harness.UpstreamHeaders.Keys, path => path.StartsWith("/smuggled", StringComparison.Ordinal));
        foreach (KeyValuePair<string, string>[] arrived in harness.UpstreamHeaders.Values)
        {
            Assert.False(
                arrived.Any(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                && arrived.Any(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)),
                "the upstream got a request framed two ways");
        }

        // Kestrel frames by Transfer-Encoding (an empty body reaches the app) and closes the connection after the answer,
        // so what followed is never read as a request at all.
        Assert.Equal("/upload", Assert.Single(harness.UpstreamHeaders.Keys));
        Assert.Contains("Received 0 bytes", response);
        Assert.Contains("Connection: close", response);
        Assert.DoesNotContain(harness.Decider.Requests, r => r.Path.StartsWith("/smuggled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_upstream_that_is_down_is_still_the_upstream_s_fault()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: $"http://127.0.0.1:{RequestPathTests.FreePort()}");
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal("Upstream", record.ErrorSource);
        string metrics = await ScrapeAsync(harness, "casb_gateway_upstream_errors_total");
        Assert.Matches(@"casb_gateway_upstream_errors_total\{[^}]*error=""Request""[^}]*\} 1\b", metrics);
        Assert.DoesNotContain("casb_gateway_client_errors_total{", metrics);
    }

    /// <summary>Scrapes /metrics until <paramref name="pattern"/> matches (the exporter caches briefly).</summary>
    internal static async Task<string> ScrapeAsync(GatewayHarness harness, string pattern)
    {
        using HttpClient client = harness.CreateClient();
        string metrics = "";
        for (int i = 0; i < 50; i++)
        {
            metrics = await client.GetStringAsync("/metrics");
            if (Regex.IsMatch(metrics, pattern))
            {
                break;
            }

            await Task.Delay(100);
        }

        return metrics;
    }

    private static async Task<string> RawHttpsAsync(int port, string request, bool closeAfterFirstAnswer = true)
    {
        await using SslStream ssl = await RawHttps.ConnectHttp11Async(port);
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(request));
        await ssl.FlushAsync();

        // The gateway answers and closes the connection: read to the end (bounded).
        // Kept alive, the connection would stay open: then read whatever arrives within a few seconds.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(closeAfterFirstAnswer ? 30 : 4));
        var received = new MemoryStream();
        byte[] buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await ssl.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
                if (closeAfterFirstAnswer && Regex.IsMatch(Encoding.ASCII.GetString(received.ToArray()), "\r\n\r\n.*\\}\n", RegexOptions.Singleline))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // A reset after the answer: what was read is the answer.
        }
        catch (OperationCanceledException) when (!closeAfterFirstAnswer)
        {
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    /// <summary>Sends 64 KiB, then nothing until the request is cancelled: a client that gives up mid-upload.</summary>
    private sealed class StalledContent : HttpContent
    {
        public TaskCompletionSource FirstBytesSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(new byte[64 * 1024], cancellationToken);
            await stream.FlushAsync(cancellationToken);
            FirstBytesSent.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
