using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// One HTTP/2 stream written frame by frame, with a header block of literals written byte for byte (RFC 7541 6.2.2,
/// new names, no Huffman coding), so that a test can send what no client library would: an uppercase or
/// connection-specific name, a control character in a value, a pseudo-header out of place.
/// </summary>
internal static class RawHttp2
{
    /// <summary>The header block of a GET: :method and :scheme from the static table, then the fields in order, as written.</summary>
    public static byte[] Get(string authority, string path, params (string Name, string Value)[] fields)
    {
        var block = new List<byte> { 0x82, 0x87 }; // :method GET, :scheme https
        Literal(block, ":path", path);
        Literal(block, ":authority", authority);
        foreach ((string name, string value) in fields)
        {
            Literal(block, name, value);
        }

        return block.ToArray();
    }

    /// <summary>
    /// Opens a connection (TLS, ALPN h2, no client certificate), sends the header block as stream 1 (END_STREAM) and
    /// reads until the stream's answer: "HEADERS" (a response), "RST_STREAM" or "GOAWAY" (Kestrel refused it).
    /// </summary>
    public static Task<string> SendAsync(int port, byte[] block) => SendAsync(port, block, body: null);

    /// <summary>The same with a body: the HEADERS frame without END_STREAM, then one DATA frame with END_STREAM.</summary>
    public static async Task<string> SendAsync(int port, byte[] block, byte[]? body)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        });
        if (ssl.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
        {
            throw new InvalidOperationException("the gateway did not negotiate HTTP/2");
        }

        await ssl.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await WriteFrameAsync(ssl, type: 0x4, flags: 0, streamId: 0, []); // SETTINGS
        if (body is null)
        {
            await WriteFrameAsync(ssl, type: 0x1, flags: 0x5, streamId: 1, block); // HEADERS, END_STREAM | END_HEADERS
        }
        else
        {
            await WriteFrameAsync(ssl, type: 0x1, flags: 0x4, streamId: 1, block); // HEADERS, END_HEADERS
            await WriteFrameAsync(ssl, type: 0x0, flags: 0x1, streamId: 1, body); // DATA, END_STREAM
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var header = new byte[9];
        while (true)
        {
            await ssl.ReadExactlyAsync(header, timeout.Token);
            int length = (header[0] << 16) | (header[1] << 8) | header[2];
            byte type = header[3], flags = header[4];
            var payload = new byte[length];
            await ssl.ReadExactlyAsync(payload, timeout.Token);
            switch (type)
            {
                case 0x4 when (flags & 0x1) == 0:
                    await WriteFrameAsync(ssl, type: 0x4, flags: 0x1, streamId: 0, []);
                    break;
                case 0x1:
                    return "HEADERS";
                case 0x3:
                    return "RST_STREAM";
                case 0x7:
                    return "GOAWAY";
            }
        }
    }

    private static void Literal(List<byte> block, string name, string value)
    {
        block.Add(0x00); // literal without indexing, new name
        String(block, name);
        String(block, value);
    }

    private static void String(List<byte> block, string text)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(text);
        if (bytes.Length > 126)
        {
            throw new ArgumentException("Only strings whose length fits the 7-bit prefix.", nameof(text));
        }

        block.Add((byte)bytes.Length);
        block.AddRange(bytes);
    }

    private static async Task WriteFrameAsync(Stream stream, byte type, byte flags, int streamId, byte[] payload)
    {
        var header = new byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(5), streamId);
        await stream.WriteAsync(header);
        await stream.WriteAsync(payload);
        await stream.FlushAsync();
    }
}
