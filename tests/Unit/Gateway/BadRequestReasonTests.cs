using System.Net.Security;
using System.Text;
using CasbCore.Activity;
using CsCheck;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The record of a request Kestrel refuses by itself says what the client sent: Kestrel quotes the offending request
/// line or header (escaped, at most 128 bytes) only when its general log category is enabled at Information, and the
/// gateway's console keeps it at Warning. Without the quote a probe left "Invalid request target: ''" on path "/": the
/// admin could not tell one probe from another, nor what was tried.
/// </summary>
[Collection(GatewayMetricsCollection.Name)]
public sealed class BadRequestReasonTests
{
    public static TheoryData<string, string, string> Refused => new()
    {
        { "NUL in the target", "GET /a%00b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "/a%00b" },
        { "request line without a version", "GET /page-without-version\r\nHost: 127.0.0.1\r\n\r\n", "/page-without-version" },
        { "unknown HTTP version", "GET /page HTTP/1.7\r\nHost: 127.0.0.1\r\n\r\n", "HTTP/1.7" },
        { "header without a colon", "GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Broken header\r\n\r\n", "X-Broken header" },
        { "space before the colon", "GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note : smuggle\r\n\r\n", "X-Note : smuggle" },
        { "CR in a header value", "GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: before\rafter\r\n\r\n", @"X-Note: before\x0D" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task The_record_of_a_refused_request_quotes_what_the_client_sent(string what, string request, string quoted)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();

        await SendRawAsync(harness.GatewayUrl.Port, request);

        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.StartsWith("BadRequest: ", record.Error);
        Assert.True(record.Error!.Contains(quoted, StringComparison.OrdinalIgnoreCase), $"{what}: {record.Error}");
        Assert.DoesNotContain(record.Error, c => char.IsControl(c));
    }

    // The class: a control character anywhere in the target, or a CR in a header value, with a word of the client's
    // around it. Whoever refuses it (Kestrel, or the gateway's reading of the target), the record names the word. (A NUL
    // in a header value Kestrel finds after parsing the line: its reason is "invalid headers", with nothing to quote.)
    [Fact]
    public async Task Every_refused_target_or_header_value_is_named_in_its_record()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        int port = harness.GatewayUrl.Port;
        int records = 0;
        Gen<string> word = Gen.Char['a', 'z'].Array[4, 8].Select(letters => new string(letters));
        Gen<char> targetControl = Gen.Char[(char)0, (char)31].Select(c => c == '\t' ? '\u007F' : c);
                await Gen.Select(word, Gen.Bool, targetControl).SampleAsync(async sample =>
        {
            (string w, bool inTarget, char target) = sample;
            string request = inTarget
                ? $"GET /{w}{target}{w} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                : $"GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Note: {w}\r{w}\r\n\r\n";

            await SendRawAsync(port, request);

            ActivityRecord record = (await harness.WaitForActivityAsync(++records))[0];
            Assert.True(
                $"{record.Path} {record.Error}".Contains(w, StringComparison.Ordinal),
                $"{(inTarget ? $"target control {(int)target:x2}" : "CR in a header value")}: path '{record.Path}', error '{record.Error}'");
        }, iter: 20, threads: 1);
    }

    private static async Task SendRawAsync(int port, string request)
    {
        await using SslStream ssl = await RawHttps.ConnectHttp11Async(port);
        await ssl.WriteAsync(Encoding.Latin1.GetBytes(request));
        await ssl.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await ssl.CopyToAsync(Stream.Null, timeout.Token);
        }
        catch (IOException)
        {
            // A reset after the answer: the record is what this test reads.
        }
    }
}
