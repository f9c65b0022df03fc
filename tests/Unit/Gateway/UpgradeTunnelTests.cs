using System.Net.Security;
using System.Text;
using CasbCore.Activity;
using CasbCore.Policies;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Connections the gateway turns into tunnels. Every request is decided; a tunnel carries bytes the gateway never
/// decides again, so one may open only for a WebSocket the app really accepted.
/// </summary>
public sealed class UpgradeTunnelTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    /// <summary>
    /// An app whose page answers a status of the client's choosing (a "/status/{code}" test page, an echo service) on a
    /// server that, like Node's http module or a WSGI server, goes on reading HTTP requests on a connection after a 101
    /// its app wrote: nothing was switched. Keep-alive, on a bare socket, so no server library hides what happens.
    /// </summary>
    private sealed class StatusEchoUpstream : IAsyncDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public StatusEchoUpstream()
        {
            _listener.Start();
            Url = $"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}";
            _ = AcceptAsync();
        }

        public string Url { get; }

        /// <summary>The request lines the upstream read, in order.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<string> RequestLines { get; } = new();

        /// <summary>What each answer to "/status/101" carries besides its status line (the test's choice).</summary>
        public string SwitchingHeaders { get; set; } = "Connection: Upgrade\r\nUpgrade: websocket\r\n";

        public ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            return ValueTask.CompletedTask;
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    System.Net.Sockets.TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = Task.Run(() => ServeAsync(client));
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
            {
            }
        }

        private async Task ServeAsync(System.Net.Sockets.TcpClient client)
        {
            using (client)
            {
                System.Net.Sockets.NetworkStream stream = client.GetStream();
                var pending = new StringBuilder();
                var buffer = new byte[8192];
                try
                {
                    while (true)
                    {
                        int end;
                        while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
                        {
                            int read = await stream.ReadAsync(buffer, _stop.Token);
                            if (read == 0)
                            {
                                return;
                            }

                            pending.Append(Encoding.Latin1.GetString(buffer, 0, read));
                        }

                        string head = pending.ToString(0, end);
                        pending.Remove(0, end + 4);
                        string line = head.Split("\r\n")[0];
                        RequestLines.Enqueue(line);
                        string target = line.Split(' ')[1];
                        string answer = target.StartsWith("/status/101", StringComparison.Ordinal)
                            ? $"HTTP/1.1 101 Switching Protocols\r\n{SwitchingHeaders}\r\n"
                            : target.StartsWith("/admin", StringComparison.Ordinal)
                                ? "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nadmin secret"
                                : "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\npublic page";
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), _stop.Token);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException)
                {
                }
            }
        }
    }

    // Blocks what is under /admin, allows the rest.
    private static void BlockAdmin(GatewayHarness harness) => harness.Decider.Decide = (state, request) =>
        harness.Allow(state, request, request.Path.StartsWith("/admin", StringComparison.Ordinal) ? AccessAction.Block : AccessAction.Allow);

    /// <summary>Sends <paramref name="head"/>, reads the answer's head, then sends <paramref name="then"/> and reads what follows.</summary>
    private static async Task<(string Head, string After)> TunnelAsync(int port, string head, string? then)
    {
        await using SslStream ssl = await RawHttps.ConnectHttp11Async(port);
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(head));
        await ssl.FlushAsync();
        var received = new StringBuilder();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int read = await ssl.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    return (received.ToString(), "");
                }

                received.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }

            string answer = received.ToString();
            int end = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
            var after = new StringBuilder(answer[end..]);
            if (then is null || StatusOf(answer) != 101)
            {
                return (answer[..end], after.ToString()); // no tunnel: a next request would be decided like any other
            }

            await ssl.WriteAsync(Encoding.ASCII.GetBytes(then));
            await ssl.FlushAsync();
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                while (true)
                {
                    int read = await ssl.ReadAsync(buffer, quiet.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    after.Append(Encoding.Latin1.GetString(buffer, 0, read));
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // Quiet for 2 s, or closed: what came is what the tunnel carried.
            }

            return (answer[..end], after.ToString());
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            string answer = received.ToString();
            int end = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            return end < 0 ? (answer, "") : (answer[..(end + 4)], answer[(end + 4)..]);
        }
    }

    private static int StatusOf(string head) =>
        head.Length > 12 ? int.Parse(head.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture) : 0;

    [Fact]
    public async Task An_app_answering_101_without_accepting_the_WebSocket_opens_no_tunnel_past_the_decision()
    {
        await using var upstream = new StatusEchoUpstream();
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        BlockAdmin(harness);
        using HttpClient client = harness.CreateClient();
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await client.GetAsync("/admin")).StatusCode);

        (string head, string after) = await TunnelAsync(
            harness.GatewayUrl.Port,
            $"GET /status/101 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {Key}\r\n\r\n",
            "GET /admin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        Assert.True(!after.Contains("admin secret"), head + "\n---\n" + after);
        Assert.True(StatusOf(head) == 502, head + "\n---\n" + after);
        ActivityRecord record = (await harness.WaitForActivityAsync(2)).First(r => r.Path?.StartsWith("/status", StringComparison.Ordinal) == true);
        Assert.Equal((502, "Upstream"), (record.HttpStatus, record.ErrorSource));
    }

    /// <summary>
    /// The neighbours, through one real gateway: methods, Upgrade spellings and lists, Connection token lists, and the
    /// app's 101 with no accept, a wrong one, the right one for another protocol, or the right one. A tunnel opens only for
    /// a WebSocket the client asked for and the app accepted; every other 101 is the gateway's 502, and a blocked path
    /// behind any of them never answers through the connection.
    /// </summary>
    [Fact]
    public async Task Only_a_WebSocket_the_app_accepted_opens_a_tunnel_for_every_spelling_and_answer()
    {
        string rightAccept = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(Encoding.ASCII.GetBytes(Key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        var answers = new (string Name, string Headers, bool Accepts)[]
        {
            ("bare 101", "", false),
            ("no accept", "Connection: Upgrade\r\nUpgrade: websocket\r\n", false),
            ("wrong accept", "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " + Convert.ToBase64String(new byte[20]) + "\r\n", false),
            ("two accepts", $"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {rightAccept}\r\nSec-WebSocket-Accept: {rightAccept}\r\n", false),
            ("accept for h2c", $"Connection: Upgrade\r\nUpgrade: h2c\r\nSec-WebSocket-Accept: {rightAccept}\r\n", false),
            ("accepted", $"Connection: Upgrade\r\nUpgrade: WebSocket\r\nSec-WebSocket-Accept: {rightAccept}\r\n", true),
        };
        string?[] upgrades = ["websocket", "WebSocket", "WEBSOCKET", "websocket, h2c", "h2c", "foo", null];
        string[] connections = ["Upgrade", "keep-alive, Upgrade", "upgrade", "keep-alive"];
        string[] methods = ["GET", "OPTIONS"];
        await using var upstream = new StatusEchoUpstream();
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        BlockAdmin(harness);
        var failures = new List<string>();
        foreach ((string name, string headers, bool accepts) in answers)
        {
            upstream.SwitchingHeaders = headers;
            foreach (string? upgrade in upgrades)
            {
                foreach (string connection in connections)
                {
                    foreach (string method in methods)
                    {
                        string request = $"{method} /status/101 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: {connection}\r\n"
                            + (upgrade is null ? "" : $"Upgrade: {upgrade}\r\n")
                            + $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {Key}\r\n\r\n";
                        (string head, string after) = await TunnelAsync(harness.GatewayUrl.Port, request, "GET /admin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                        bool webSocket = string.Equals(upgrade, "websocket", StringComparison.OrdinalIgnoreCase)
                            && connection.Contains("upgrade", StringComparison.OrdinalIgnoreCase);
                        int expected = webSocket && accepts ? 101 : 502;
                        if (StatusOf(head) != expected || (expected != 101 && after.Contains("admin secret", StringComparison.Ordinal)))
                        {
                            failures.Add($"{name} / {method} Upgrade: {upgrade ?? "(none)"} Connection: {connection}: {StatusOf(head)}, expected {expected}{(after.Contains("admin secret", StringComparison.Ordinal) ? ", /admin answered through it" : "")}");
                        }
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// HTTP/2 extended CONNECT for anything but a WebSocket, in several spellings: decided like any request, then refused by
    /// the gateway as the client's (501), never forwarded, and never a 502 "the app is not reachable" counted against the app.
    /// </summary>
    [Fact]
    public async Task An_HTTP_2_CONNECT_for_another_protocol_is_refused_as_the_clients_error_not_the_apps()
    {
        await using var upstream = new StatusEchoUpstream();
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        string[] protocols = ["h2c", "connect-udp", "foo", "websocket2", "HTTP/1.1"];
        foreach (string protocol in protocols)
        {
            var handler = new System.Net.Http.SocketsHttpHandler { UseProxy = false };
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            using var invoker = new HttpMessageInvoker(handler);
            using var request = new HttpRequestMessage(HttpMethod.Connect, new Uri($"https://127.0.0.1:{harness.GatewayUrl.Port}/tunnel"))
            {
                Version = System.Net.HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            request.Headers.Protocol = protocol;
            var pipe = new System.IO.Pipelines.Pipe();
            request.Content = new StreamContent(pipe.Reader.AsStream());
            using HttpResponseMessage response = await invoker.SendAsync(request, default);
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.NotImplemented, $"{protocol}: {(int)response.StatusCode}");
        }

        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(protocols.Length);
        Assert.All(records, r => Assert.Equal((501, "Client"), (r.HttpStatus, r.ErrorSource)));
        Assert.Empty(upstream.RequestLines);
    }
}
