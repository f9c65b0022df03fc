using CasbCore.Activity;
using CsCheck;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Over HTTP/2, a request Kestrel refuses by itself (RST_STREAM or GOAWAY, before any middleware) leaves one activity
/// record as a client error, as the same header does over HTTP/1.1 (<see cref="BadRequestRecordTests"/>): a probe
/// for header injection or smuggling over the protocol browsers use shows in the log. Kestrel raises no BadRequest
/// diagnostic event for these; the gateway reads them from Kestrel's HTTP/2 log category.
/// </summary>
[Collection(GatewayMetricsCollection.Name)]
public sealed class Http2BadRequestRecordTests
{
    public static TheoryData<string, string, (string, string)[]> Refused => new()
    {
        { "NUL in a header value", "/page", [("x-note", "a\0b")] },
        { "CR LF in a header value", "/page", [("x-note", "a\r\nx-injected: b")] },
        { "uppercase header name", "/page", [("X-Note", "a")] },
        { "connection-specific header", "/page", [("connection", "keep-alive")] },
        { "TE other than trailers", "/page", [("te", "gzip")] },
        { "unknown pseudo-header", "/page", [(":foo", "b")] },
        { "%00 in :path", "/a%00b", [] },
        { ":path that is no path", "admin", [] },
        { "empty :path", "", [] },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_stream_Kestrel_refuses_is_recorded_once_as_a_blocked_client_error(string what, string path, (string, string)[] fields)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();

        string answer = await RawHttp2.SendAsync(harness.GatewayUrl.Port, RawHttp2.Get(harness.GatewayUrl.Authority, path, fields));

        Assert.True(answer is "RST_STREAM" or "GOAWAY", $"{what}: {answer}");
        await harness.WaitForActivityAsync(1);
        await Task.Delay(300); // a second record for the same refusal would arrive by now
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(400, record.HttpStatus);
        Assert.Equal("Block", record.Action);
        Assert.Equal("Client", record.ErrorSource);
        Assert.StartsWith("BadRequest: HTTP/2 ", record.Error);
        Assert.DoesNotContain(record.Error!, c => char.IsControl(c));
        Assert.Equal("NoCertificate", record.CertificateStatus);
        Assert.Equal("127.0.0.1", record.SourceIp);
        Assert.Equal(0, harness.UpstreamRequests);
        Assert.Empty(harness.Decider.Requests);
        string metrics = await ClientErrorTests.ScrapeAsync(harness, "casb_gateway_client_errors_total");
        Assert.Matches(@"casb_gateway_client_errors_total\{[^}]*error=""BadRequest""[^}]*\} 1\b", metrics);
    }

    [Fact]
    public async Task A_body_longer_than_its_content_length_after_the_request_began_is_in_that_requests_record_only()
    {
        // Kestrel resets this stream with PROTOCOL_ERROR too, but only once the request exists: the request's own record
        // tells it (the forwarder saw the body cut), and the refusal provider must not add a second one.
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        byte[] block = RawHttp2.Get(harness.GatewayUrl.Authority, "/page", ("content-length", "2"));
        block[0] = 0x83; // :method POST

        string answer = await RawHttp2.SendAsync(harness.GatewayUrl.Port, block, "too long"u8.ToArray());

        Assert.True(answer is "RST_STREAM" or "HEADERS", answer);
        await harness.WaitForActivityAsync(1);
        await Task.Delay(300); // a second record for the same stream would arrive by now
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal("POST", record.Method);
        Assert.Equal("/page", record.Path);
        Assert.Single(harness.Decider.Requests);
    }

    // The class: any header HTTP/2 forbids in a request that Kestrel refuses (RFC 9113 8.2: an uppercase letter in a
    // name, a NUL, CR or LF in a value, Connection or a TE other than trailers; 8.3: an unknown pseudo-header) leaves
    // exactly one record whichever way Kestrel ends it (RST_STREAM or GOAWAY), reaches neither the engine nor the app,
    // and a valid request right after it is decided, proxied and recorded once (no record for a connection that merely
    // closed). A control character in a name Kestrel lets through; the forwarder drops such a field, it never reaches the app.
    [Fact]
    public async Task Any_header_HTTP2_forbids_leaves_one_record_and_a_valid_stream_after_it_one_record_too()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        int port = harness.GatewayUrl.Port;
        string authority = harness.GatewayUrl.Authority;

        var name = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz-"], 1, 12];
        var uppercaseName = Gen.Select(name, Gen.Int[0, 11], Gen.Char['A', 'Z'], (n, at, c) => n.Insert(Math.Min(at, n.Length), c.ToString()));
        var badValue = Gen.Select(Gen.String[Gen.Char['a', 'z'], 0, 8], Gen.OneOf(Gen.Const('\0'), Gen.Const('\r'), Gen.Const('\n')), Gen.Int[0, 8],
            (v, c, at) => v.Insert(Math.Min(at, v.Length), c.ToString()));
        // The connection-specific fields Kestrel refuses (it passes keep-alive, upgrade and transfer-encoding on, and
        // the forwarder drops them as hop-by-hop): Connection with any value, TE with anything but "trailers".
        var connectionSpecific = Gen.OneOf(
            Gen.Select(Gen.String[Gen.Char['a', 'z'], 0, 8], v => ("connection", v)),
            Gen.Select(Gen.String[Gen.Char['a', 'z'], 1, 8].Where(v => v != "trailers"), v => ("te", v)));
        var forbidden = Gen.OneOf(
            Gen.Select(uppercaseName, n => (n, "x")),
            Gen.Select(name, badValue, (n, v) => (n, v)),
            connectionSpecific,
            Gen.Select(name, n => (":" + n, "x")));

        await forbidden.SampleAsync(async field =>
        {
            // Counted afresh for each sample: a shrink after a failure starts from whatever the failure left.
            int records = (await harness.WaitForActivityAsync(0)).Count;
            int proxied = harness.UpstreamRequests;
            int decided = harness.Decider.Requests.Count;

            string answer = await RawHttp2.SendAsync(port, RawHttp2.Get(authority, "/page", field));
            Assert.True(answer is "RST_STREAM" or "GOAWAY", $"{Show(field)}: {answer}");
            IReadOnlyList<ActivityRecord> log = await harness.WaitForActivityAsync(records + 1);
            Assert.True(log.Count == records + 1, $"{Show(field)}: {log.Count - records} records: {string.Join(" / ", log.Take(log.Count - records).Select(r => r.Error))}");
            Assert.True(log[0].Action == "Block", $"{Show(field)}: newest {log[0].Action} {log[0].Error}");
            Assert.StartsWith("BadRequest: HTTP/2 ", log[0].Error);
            Assert.Equal(decided, harness.Decider.Requests.Count);
            Assert.Equal(proxied, harness.UpstreamRequests);

            Assert.Equal("HEADERS", await RawHttp2.SendAsync(port, RawHttp2.Get(authority, "/page", ("x-note", "fine"))));
            await Task.Delay(100); // a stray record of the closed connection would arrive by now
            log = await harness.WaitForActivityAsync(records + 2);
            Assert.True(log.Count == records + 2, $"after {Show(field)}: {log.Count - records - 1} records for a valid stream");
            Assert.Null(log[0].Error);
            Assert.Equal(proxied + 1, harness.UpstreamRequests);
        }, iter: 20, threads: 1, print: Show);
    }

    private static string Show((string Name, string Value) field) =>
        string.Concat(field.Name.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString())) + ": "
        + string.Concat(field.Value.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
}
