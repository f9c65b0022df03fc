using CasbCore.Activity;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A record's bytes count a response's Content-Length only when the response carries that body: a HEAD answer and a 304
/// announce the length of a file they do not send. A download manager's HEAD of a 4 GB image was recorded (and summed in
/// a Summary record) as 4 GB moved, a figure an admin reads as data leaving.
/// </summary>
public sealed class RecordedBytesTests
{
    public static TheoryData<string, string, long?> Answers => new()
    {
        { "HEAD", "200 OK", null },
        { "GET", "304 Not Modified", null },
        { "HEAD", "206 Partial Content", null },
        { "HEAD", "404 Not Found", null },
        { "GET", "200 OK", 4_000_000_000 },
        { "GET", "206 Partial Content", 4_000_000_000 },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task A_response_length_is_counted_only_when_its_body_is_sent(string method, string status, long? recorded)
    {
        // The app announces 4 GB; for a GET it sends the start of it and resets, which still leaves the record of the answer.
        await using RawUpstream upstream = RawUpstream.Start((stream, _) =>
            RawUpstream.WriteAsync(stream, $"HTTP/1.1 {status}\r\nContent-Length: 4000000000\r\nContent-Type: application/octet-stream\r\n\r\n"
                + (method == "GET" && !status.StartsWith("304", StringComparison.Ordinal) ? "start" : "")));
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);

        try
        {
            await RawHttps.SendAsync(harness.GatewayUrl, "/images/big.iso", [], method);
        }
        catch (IOException)
        {
            // The GET's body ends early: the client's read fails, the record stays.
        }

        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal((int.Parse(status[..3]), recorded), (record.HttpStatus, record.Bytes));
    }

    // The class: a request's own body is counted whatever the answer, and an answer's announced length only with its body.
    [Fact]
    public async Task A_request_body_is_counted_whatever_the_answer()
    {
        await using RawUpstream upstream = RawUpstream.Start(async (stream, head) =>
        {
            string status = head.Contains("/no-content", StringComparison.Ordinal) ? "204 No Content" : "304 Not Modified";
            await RawUpstream.WriteAsync(stream, $"HTTP/1.1 {status}\r\nETag: \"1\"\r\n\r\n");
        });
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.PutAsync("/no-content", new ByteArrayContent(new byte[1234]));

        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal((204, 1234L), (record.HttpStatus, record.Bytes));
    }
}
