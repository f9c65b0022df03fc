using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CasbModule.Tests.Gateway;

/// <summary>What reached the upstream: the request line exactly as received, and the headers.</summary>
internal sealed record UpstreamRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// An upstream on a bare socket (loopback, port 0) that records each request line byte for byte, before any
/// server could decode or normalize it, and answers 200 "upstream saw &lt;target&gt;". Requests without a body only.
/// </summary>
internal sealed class RecordingUpstream : IAsyncDisposable
{
    public const string ProbeHeader = "X-Probe";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public RecordingUpstream()
    {
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    public Uri Url { get; }

    public ConcurrentQueue<UpstreamRequest> Requests { get; } = new();

    /// <summary>The request that carried <see cref="ProbeHeader"/>: <paramref name="probe"/>, or null when none arrived.</summary>
    public UpstreamRequest? ByProbe(string probe) =>
        Requests.FirstOrDefault(r => r.Headers.TryGetValue(ProbeHeader, out string? value) && value == probe);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            NetworkStream stream = client.GetStream();
            var head = new List<byte>();
            var buffer = new byte[4096];
            while (!EndsWithBlankLine(head))
            {
                int read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                head.AddRange(buffer.AsSpan(0, read));
            }

            // Latin-1 keeps every byte as one char, so a byte the gateway should never have sent stays visible.
            string[] lines = Encoding.Latin1.GetString(head.ToArray()).Split("\r\n");
            string[] requestLine = lines[0].Split(' ');
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
            {
                int colon = line.IndexOf(':');
                headers[line[..colon]] = line[(colon + 1)..].Trim();
            }

            Requests.Enqueue(new UpstreamRequest(requestLine[0], requestLine.Length > 1 ? requestLine[1] : "", headers));
            byte[] body = Encoding.UTF8.GetBytes($"upstream saw {(requestLine.Length > 1 ? requestLine[1] : "")}\n");
            byte[] response = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(response, _stop.Token);
            await stream.WriteAsync(body, _stop.Token);
        }
    }

    private static bool EndsWithBlankLine(List<byte> head) =>
        head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n';
}
