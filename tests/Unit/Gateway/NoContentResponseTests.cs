using System.Net;
using CasbCore.Activity;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A 204 or 205 reaches the client as a browser reads it from the app (its status, no body), whatever framing the app
/// wrote after it: a stray Content-Length was Kestrel's 500 (recorded as 204), and a 205 with a length and no body
/// waited for the upstream timeout, then was a 502 counted against the app. A 304 and a HEAD keep the representation's length.
/// </summary>
public sealed class NoContentResponseTests
{
    /// <summary>What apps write after a status without content: nothing, a zero or stray length, a body, an empty or open chunked body.</summary>
    public static readonly string[] Framings =
    [
        "",
        "Content-Length: 0\r\n\r\n",
        "Content-Length: 5\r\n\r\n",
        "Content-Length: 5\r\n\r\nhello",
        "Content-Length: 13\r\n\r\nReset Content",
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "Transfer-Encoding: chunked\r\n\r\n",
        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ];

    [Theory]
    [InlineData("204 No Content", "Content-Length: 5\r\n\r\nhello", "GET")]
    [InlineData("204 No Content", "Content-Length: 5\r\n\r\n", "HEAD")]
    [InlineData("205 Reset Content", "Content-Length: 13\r\n\r\nReset Content", "POST")]
    [InlineData("205 Reset Content", "Content-Length: 5\r\n\r\n", "GET")]
    public async Task A_status_without_content_reaches_the_client_as_that_status_whatever_the_app_framed(string status, string framing, string method)
    {
        await using RawUpstream upstream = StartUpstream();
        await using GatewayHarness harness = await StartGatewayAsync(upstream);

        foreach (Version version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            await AssertPassedOnAsync(harness, version, method, status, framing);
        }

        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(2);
        Assert.All(records, r => Assert.Equal((int.Parse(status[..3]), null, null), (r.HttpStatus, r.Error, r.ErrorSource)));
    }

    // The class: every framing an app writes after 204 or 205, for every method, over both protocols; and a 304 or a
    // HEAD answer, which keep the length they announce.
    [Fact]
    public async Task Every_framing_after_a_status_without_content_is_passed_on_as_the_status_alone()
    {
        await using RawUpstream upstream = StartUpstream();
        await using GatewayHarness harness = await StartGatewayAsync(upstream);
        var cases = from status in new[] { "204 No Content", "205 Reset Content", "304 Not Modified", "200 OK" }
                    from framing in Framings
                    from method in new[] { "GET", "HEAD", "POST", "DELETE" }
                    from version in new[] { HttpVersion.Version11, HttpVersion.Version20 }
                    where status != "200 OK" || method == "HEAD"
                    where status != "304 Not Modified" || method is "GET" or "HEAD"
                    select (status, framing, method, version);

        foreach ((string status, string framing, string method, Version version) in cases)
        {
            await AssertPassedOnAsync(harness, version, method, status, framing);
        }
    }

    private static async Task AssertPassedOnAsync(GatewayHarness harness, Version version, string method, string status, string framing)
    {
        string what = $"{method} {status} [{framing.Replace("\r\n", "\\r\\n")}] HTTP/{version}";
        using HttpClient client = harness.CreateClient(version: version);
        client.Timeout = TimeSpan.FromSeconds(5);
        var request = new HttpRequestMessage(new HttpMethod(method), "/answer?" + Uri.EscapeDataString(status + "\n" + framing));
        if (method == "POST")
        {
            request.Content = new StringContent("a=1");
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Assert.Fail($"{what}: {e.Message}");
            return;
        }

        using (response)
        {
            byte[] body = await response.Content.ReadAsByteArrayAsync();
            Assert.True((int)response.StatusCode == int.Parse(status[..3]), $"{what}: {(int)response.StatusCode}");
            Assert.True(body.Length == 0, $"{what}: a body of {body.Length} bytes");
            long? length = response.Content.Headers.ContentLength;
            string announced = framing.StartsWith("Content-Length: ", StringComparison.Ordinal) ? framing[16..framing.IndexOf('\r')] : "";
            if (status.StartsWith("20", StringComparison.Ordinal) && status != "200 OK")
            {
                Assert.True(length is null or 0, $"{what}: Content-Length {length}");
            }
            else if (announced.Length > 0)
            {
                // A 304 or a HEAD answer announces the representation's length, and keeps it.
                Assert.True(length == long.Parse(announced), $"{what}: Content-Length {length}");
            }
        }
    }

    // The answer's status line and framing come in the query. A framing that promises more than it sends keeps the
    // connection open, as a keep-alive app's is (10 s here, the upstream timeout in production), and answers the next
    // request on it; any other is closed after it.
    private static RawUpstream StartUpstream() => RawUpstream.Start(async (stream, head) =>
    {
        while (head.Length > 0)
        {
            string target = head[(head.IndexOf(' ') + 1)..head.IndexOf(" HTTP/", StringComparison.Ordinal)];
            string[] answer = Uri.UnescapeDataString(target[(target.IndexOf('?') + 1)..]).Split('\n', 2);
            string framing = answer[1].Length == 0 ? "\r\n" : answer[1];
            await RawUpstream.WriteAsync(stream, $"HTTP/1.1 {answer[0]}\r\n{framing}");
            await stream.FlushAsync();
            string body = framing[(framing.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
            bool promisesMore = framing.StartsWith("Content-Length: ", StringComparison.Ordinal)
                ? int.Parse(framing[16..framing.IndexOf('\r')]) > body.Length
                : framing.StartsWith("Transfer-Encoding", StringComparison.Ordinal) && !body.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
            if (!promisesMore)
            {
                return;
            }

            try
            {
                head = await RawUpstream.ReadHeadAsync(stream).WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                return;
            }
        }
    });

    private static async Task<GatewayHarness> StartGatewayAsync(RawUpstream upstream)
    {
        GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        return harness;
    }
}
