using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CasbModule.Tests.Gateway;

/// <summary>A response as a raw client sees it.</summary>
internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? CorrelationId => Headers.GetValueOrDefault("X-Casb-Correlation-Id");
}

/// <summary>
/// Sends one HTTP/1.1 request over TLS with the request target written byte for byte, so that no client library
/// normalizes "//admin", "%2F" or "\" before the gateway sees it (as curl --path-as-is does).
/// </summary>
internal static class RawHttps
{
    /// <summary>
    /// A TLS connection to the gateway on loopback, speaking HTTP/1.1 (ALPN), any server certificate accepted and no
    /// client certificate: for tests that write the request bytes themselves. Disposing the stream closes the socket.
    /// </summary>
    public static async Task<SslStream> ConnectHttp11Async(int port)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
            var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            });
            return ssl;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <param name="host">The Host header as written (the gateway's authority when null).</param>
    public static async Task<RawResponse> SendAsync(
        Uri gateway, string target, IEnumerable<KeyValuePair<string, string>>? headers = null, string method = "GET", string? host = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway.Host, gateway.Port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });

        var request = new StringBuilder();
        request.Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n");
        request.Append("Host: ").Append(host ?? gateway.Authority).Append("\r\n");
        request.Append("Connection: close\r\n");
        foreach ((string name, string value) in headers ?? [])
        {
            request.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        request.Append("\r\n");
        await tls.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()));
        await tls.FlushAsync();

        using var received = new MemoryStream();
        try
        {
            await tls.CopyToAsync(received);
        }
        catch (IOException) when (received.Length > 0)
        {
            // The server may reset the connection right after a complete "Connection: close" response.
        }

        return Parse(received.ToArray());
    }

    /// <summary>
    /// Starts an upload the gateway will refuse: the request's headers with the whole body's Content-Length, then only
    /// its first <paramref name="sentBytes"/>, then the answer read to the close. HttpClient writes the whole body before
    /// it reads, and can meet the gateway's close after a refusal (413) as a broken pipe before it reads the answer: a
    /// race of that client, not what the gateway sends.
    /// </summary>
    public static async Task<RawResponse> SendStartOfUploadAsync(int port, HttpRequestMessage message, int sentBytes)
    {
        byte[] body = await message.Content!.ReadAsByteArrayAsync();
        var head = new StringBuilder();
        head.Append(message.Method.Method).Append(' ').Append(message.RequestUri!.OriginalString).Append(" HTTP/1.1\r\n");
        head.Append("Host: 127.0.0.1\r\nConnection: close\r\n");
        foreach ((string name, IEnumerable<string> values) in message.Headers.Concat(message.Content.Headers))
        {
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            head.Append(name).Append(": ").Append(string.Join(", ", values)).Append("\r\n");
        }

        head.Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        await using SslStream ssl = await ConnectHttp11Async(port);
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        await ssl.WriteAsync(body.AsMemory(0, Math.Min(sentBytes, body.Length)));
        await ssl.FlushAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var received = new MemoryStream();
        try
        {
            await ssl.CopyToAsync(received, timeout.Token);
        }
        catch (IOException) when (received.Length > 0)
        {
            // A reset right after the answer: what was read is the answer.
        }

        return Parse(received.ToArray());
    }

    private static RawResponse Parse(byte[] bytes)
    {
        int headEnd = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        // One character per byte: a test compares a header value the gateway passed on with the bytes the app sent.
        string[] lines = Encoding.Latin1.GetString(bytes, 0, headEnd).Split("\r\n");
        int status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        byte[] body = bytes[(headEnd + 4)..];
        if (headers.TryGetValue("Transfer-Encoding", out string? encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return new RawResponse(status, headers, Encoding.UTF8.GetString(body));
    }

    private static byte[] Dechunk(byte[] chunked)
    {
        var body = new MemoryStream();
        int position = 0;
        while (position < chunked.Length)
        {
            int lineEnd = chunked.AsSpan(position).IndexOf("\r\n"u8) + position;
            string sizeText = Encoding.ASCII.GetString(chunked, position, lineEnd - position).Split(';')[0];
            int size = Convert.ToInt32(sizeText, 16);
            if (size == 0)
            {
                break;
            }

            body.Write(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }

        return body.ToArray();
    }
}
