using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using CasbCore.Activity;
using CsCheck;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A request Kestrel refuses by itself (before any middleware) is never proxied and never decided, and it leaves exactly
/// one activity record, as a client error: a probe for request smuggling or header injection shows in the log.
/// </summary>
[Collection(GatewayMetricsCollection.Name)]
public sealed class BadRequestRecordTests
{
    private const string Valid = "GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nUser-Agent: probe\r\nX-Note: fine\r\n\r\n";

    public static TheoryData<string, string, int> Malformed => new()
    {
        { "NUL in the target", "GET /a%00b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400 },
        { "request line without a version", "GET /page\r\nHost: 127.0.0.1\r\n\r\n", 400 },
        { "unknown HTTP version", "GET /page HTTP/1.7\r\nHost: 127.0.0.1\r\n\r\n", 505 },
        { "header without a colon", "GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Broken header\r\n\r\n", 400 },
        { "space before the colon", "GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note : smuggle\r\n\r\n", 400 },
        { "request line too long", "GET /" + new string('a', 9000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414 },
        { "headers too large", "GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + new string('b', 40_000) + "\r\n\r\n", 431 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_request_Kestrel_refuses_is_recorded_once_as_a_blocked_client_error(string what, string request, int status)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();

        string response = await SendRawAsync(harness.GatewayUrl.Port, request);

        Assert.True(response.StartsWith($"HTTP/1.1 {status}", StringComparison.Ordinal), $"{what}: {FirstLine(response)}");
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(status, record.HttpStatus);
        Assert.Equal("Block", record.Action);
        Assert.Equal("Client", record.ErrorSource);
        Assert.StartsWith("BadRequest: ", record.Error);
        Assert.DoesNotContain(record.Error!, c => char.IsControl(c));
        Assert.Equal("NoCertificate", record.CertificateStatus);
        Assert.Equal("127.0.0.1", record.SourceIp);
        Assert.Matches("^[0-9a-f]{32}$", record.CorrelationId);
        Assert.Equal(0, harness.UpstreamRequests);
        Assert.Empty(harness.Decider.Requests);
        string metrics = await ClientErrorTests.ScrapeAsync(harness, "casb_gateway_client_errors_total");
        Assert.Matches(@"casb_gateway_client_errors_total\{[^}]*error=""BadRequest""[^}]*\} 1\b", metrics);
        Assert.Matches($@"casb_gateway_requests_total\{{[^}}]*status=""{status}""[^}}]*\}} 1\b", metrics);
    }

    // The class, not a list: a control character anywhere in the target, or a NUL, CR or LF inside a header value
    // (RFC 9110 5.5: reject, never pass on), is refused either by Kestrel (error BadRequest) or by the gateway's own
    // reading of the target (RequestPathAmbiguous): whichever refuses, the request leaves exactly one record as the
    // client's error, nothing reaches the engine or the app, and a valid request right after is decided and proxied.
    // (Other control characters in a header value are invalid but, as RFC 9110 allows, Kestrel keeps them.)
    [Fact]
    public async Task Any_control_character_in_the_target_or_a_line_break_in_a_header_value_leaves_one_record_and_reaches_nothing()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        int port = harness.GatewayUrl.Port;
        int records = 0;
        int proxied = 0;

        var targetControl = Gen.Select(Gen.Char[(char)0, (char)31].Select(c => c == '\u0008' ? '\u007F' : c), Gen.Int[0, 3], (c, at) => ("target", c, at));
        var headerBreak = Gen.Select(Gen.OneOf(Gen.Const('\0'), Gen.Const('\r'), Gen.Const('\n')), Gen.OneOf(Gen.Const("user-agent"), Gen.Const("x-note")), Gen.Int[1, 4],
            (c, where, at) => (where, c, at));
        await Gen.OneOf(targetControl, headerBreak).SampleAsync(async sample =>
        {
            (string where, char control, int at) = sample;
            string request = where switch
            {
                "target" => Valid.Replace("/page", "/pa".Insert(Math.Min(at, 3), control.ToString()) + "ge"),
                "user-agent" => Valid.Replace("probe", "probe".Insert(Math.Min(at, 4), control.ToString())),
                _ => Valid.Replace("fine", "fine".Insert(Math.Min(at, 3), control.ToString())),
            };
            int decidedBefore = harness.Decider.Requests.Count;

            string response = await SendRawAsync(port, request);
            int status = int.Parse(response.Split(' ', 3)[1]);
            Assert.InRange(status, 400, 499);
            IReadOnlyList<ActivityRecord> log = await harness.WaitForActivityAsync(++records);
            Assert.Equal(records, log.Count);
            ActivityRecord newest = log[0];
            Assert.Equal(status, newest.HttpStatus);
            Assert.Equal("Block", newest.Action);
            Assert.Equal("Client", newest.ErrorSource);
            Assert.Matches("^(BadRequest|RequestPathAmbiguous): ", newest.Error);
            Assert.Equal(decidedBefore, harness.Decider.Requests.Count);
            Assert.Equal(proxied, harness.UpstreamRequests);

            string ok = await SendRawAsync(port, Valid);
            Assert.StartsWith("HTTP/1.1 200", ok);
            proxied++;
            log = await harness.WaitForActivityAsync(++records);
            Assert.Equal(records, log.Count);
            Assert.Null(log[0].Error);
            Assert.Equal(proxied, harness.UpstreamRequests);
        }, iter: 25, threads: 1);
    }

    private static string FirstLine(string response) => response.Split("\r\n", 2)[0];

    private static async Task<string> SendRawAsync(int port, string request)
    {
        await using SslStream ssl = await RawHttps.ConnectHttp11Async(port);
        await ssl.WriteAsync(Encoding.Latin1.GetBytes(request));
        await ssl.FlushAsync();

        // Every request here says Connection: close, and Kestrel closes after a refusal: read to the end.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new MemoryStream();
        try
        {
            await ssl.CopyToAsync(received, timeout.Token);
        }
        catch (IOException) when (received.Length > 0)
        {
            // A reset after the answer: what was read is the answer.
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }
}
