using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Over HTTP/2 the gateway sends its response headers as HPACK literals that are never added to the connection's
/// dynamic table (<c>KestrelServerOptions.AllowResponseHeaderCompression = false</c>): every response carries a unique
/// X-Casb-Correlation-Id, and indexing it kept the last ~48 ids of every connection alive in the table and promoted
/// them at each collection (docs/benchmarks.md, eighth pass). Read from the bytes a client receives: the header block
/// of real responses on one raw HTTP/2 connection, each field's representation as RFC 7541 section 6 defines it.
/// </summary>
public sealed class Http2ResponseHeaderTests
{
    [Fact]
    public async Task Response_headers_are_never_added_to_the_HPACK_table_and_the_correlation_id_is_sent_on_every_response()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, harness.GatewayUrl.Port);
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        });
        Assert.Equal(SslApplicationProtocol.Http2, ssl.NegotiatedApplicationProtocol);

        await ssl.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await WriteFrameAsync(ssl, type: 0x4, flags: 0, streamId: 0, []); // SETTINGS, none changed
        var ids = new List<string>();
        for (int stream = 1; stream <= 5; stream += 2)
        {
            await WriteFrameAsync(ssl, type: 0x1, flags: 0x5, streamId: stream, GetRequest(harness.GatewayUrl.Authority)); // HEADERS, END_STREAM | END_HEADERS
            List<(byte Representation, string Name, string Value)> fields = await ReadResponseHeadersAsync(ssl, stream);

            // 01xxxxxx is "literal with incremental indexing" (section 6.2.1): the one representation that inserts.
            Assert.All(fields, f => Assert.False((f.Representation & 0xC0) == 0x40, $"{f.Name} was added to the table (0x{f.Representation:x2})"));
            Assert.Contains(fields, f => f.Name == ":status");
            ids.Add(Assert.Single(fields, f => f.Name == "x-casb-correlation-id").Value);
        }

        Assert.Equal(3, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
    }

    // :method GET, :scheme https, :path / from the static table (section 6.1), :authority as a literal never indexed.
    private static byte[] GetRequest(string authority)
    {
        var block = new List<byte> { 0x82, 0x87, 0x84, 0x11 };
        block.Add((byte)authority.Length);
        block.AddRange(Encoding.ASCII.GetBytes(authority));
        return block.ToArray();
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

    // Frames until the HEADERS of the stream (SETTINGS are acknowledged); its block must be complete in that frame
    // (END_HEADERS), as Kestrel sends a small block. Every field of the block with its representation's first byte.
    private static async Task<List<(byte, string, string)>> ReadResponseHeadersAsync(Stream stream, int streamId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var header = new byte[9];
        while (true)
        {
            await stream.ReadExactlyAsync(header, timeout.Token);
            int length = (header[0] << 16) | (header[1] << 8) | header[2];
            byte type = header[3], flags = header[4];
            int id = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, timeout.Token);
            if (type == 0x4 && (flags & 0x1) == 0)
            {
                await WriteFrameAsync(stream, type: 0x4, flags: 0x1, streamId: 0, []);
            }

            if (type == 0x1 && id == streamId)
            {
                Assert.True((flags & 0x4) != 0, "the response's header block did not fit one frame");
                Assert.True((flags & 0x8) == 0 && (flags & 0x20) == 0, "no padding or priority expected");
                return Fields(payload);
            }
        }
    }

    private static List<(byte, string, string)> Fields(byte[] block)
    {
        var fields = new List<(byte, string, string)>();
        int at = 0;
        while (at < block.Length)
        {
            byte first = block[at];
            if ((first & 0x80) != 0)
            {
                // Indexed field (6.1).
                int index = Integer(block, ref at, 7);
                fields.Add((first, Name(index), ""));
                continue;
            }

            if ((first & 0xE0) == 0x20)
            {
                Integer(block, ref at, 5); // dynamic table size update (6.3)
                continue;
            }

            int prefix = (first & 0xC0) == 0x40 ? 6 : 4;
            int nameIndex = Integer(block, ref at, prefix);
            string name = nameIndex == 0 ? Text(block, ref at) : Name(nameIndex);
            fields.Add((first, name, Text(block, ref at)));
        }

        return fields;
    }

    // Static table entries 8-14 are :status (a status outside them, as 403, is a literal with name index 8).
    private static string Name(int index) => index is >= 8 and <= 14 ? ":status" : $"#{index}";

    private static int Integer(byte[] block, ref int at, int prefixBits)
    {
        int max = (1 << prefixBits) - 1;
        int value = block[at++] & max;
        if (value < max)
        {
            return value;
        }

        int shift = 0;
        byte next;
        do
        {
            next = block[at++];
            value += (next & 0x7F) << shift;
            shift += 7;
        }
        while ((next & 0x80) != 0);
        return value;
    }

    private static string Text(byte[] block, ref int at)
    {
        Assert.True((block[at] & 0x80) == 0, "Kestrel sends strings without Huffman coding");
        int length = Integer(block, ref at, 7);
        string text = Encoding.ASCII.GetString(block, at, length);
        at += length;
        return text;
    }
}
