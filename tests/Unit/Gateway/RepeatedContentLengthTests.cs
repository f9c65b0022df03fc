using System.Net;
using CasbCore.Activity;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// An app that sends its Content-Length twice with one value (a script that sets it and a server that adds it) is shown,
/// as browsers show it: the copy handed Kestrel "5,5", which it refused, and the page was a 502 counted against the app.
/// Values that differ stay refused (a 502, as browsers refuse them): a response framed two ways is not passed on.
/// </summary>
public sealed class RepeatedContentLengthTests
{
    [Theory]
    [InlineData("Content-Length: 5\r\nContent-Length: 5\r\n")]
    [InlineData("Content-Length: 5, 5\r\n")]
    [InlineData("Content-Length: 5\r\nContent-Length: 5,5\r\n")]
    public async Task A_length_sent_twice_with_one_value_is_passed_on_once(string lengths)
    {
        await using RawUpstream upstream = RawUpstream.Start((stream, _) => RawUpstream.WriteAsync(stream, $"HTTP/1.1 200 OK\r\n{lengths}Content-Type: text/plain\r\n\r\nhello"));
        await using GatewayHarness harness = await StartGatewayAsync(upstream);

        foreach (Version version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using HttpClient client = harness.CreateClient(version: version);
            using HttpResponseMessage response = await client.GetAsync("/page");

            Assert.Equal((HttpStatusCode.OK, "hello", 5L), (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentLength));
            Assert.Equal("5", Assert.Single(response.Content.Headers.NonValidated["Content-Length"]));
        }

        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(2);
        Assert.All(records, r => Assert.Equal((200, null), (r.HttpStatus, r.Error)));
    }

    // The class: any length repeated in any number of lines and list elements is passed on once; two lengths never are.
    [Fact]
    public async Task Any_repetition_of_one_length_is_passed_on_and_two_lengths_are_refused()
    {
        await using RawUpstream upstream = RawUpstream.Start(async (stream, head) =>
        {
            // The lines of Content-Length come in the query, one a '|', elements as written; the body is the first value's length.
            string target = head[(head.IndexOf(' ') + 1)..head.IndexOf(" HTTP/", StringComparison.Ordinal)];
            string[] lines = Uri.UnescapeDataString(target[(target.IndexOf('?') + 1)..]).Split('|');
            int length = int.Parse(lines[0].Split(',')[0].Trim());
            await RawUpstream.WriteAsync(stream, "HTTP/1.1 200 OK\r\n" + string.Concat(lines.Select(l => $"Content-Length: {l}\r\n")) + "Connection: close\r\n\r\n" + new string('x', length));
        });
        await using GatewayHarness harness = await StartGatewayAsync(upstream);
        using HttpClient client = harness.CreateClient();
        var random = new Random(20261202);

        for (int i = 0; i < 60; i++)
        {
            int length = random.Next(0, 3) == 0 ? random.Next(0, 10) : random.Next(10, 5000);
            bool differ = i % 3 == 2;
            int lineCount = random.Next(1, 4);
            var lines = Enumerable.Range(0, lineCount).Select(_ => Enumerable.Repeat(length.ToString(), random.Next(1, 3)).ToList()).ToList();
            if (lineCount == 1 && lines[0].Count == 1)
            {
                lines[0].Add(length.ToString());
            }

            if (differ)
            {
                lines[^1][^1] = (length + 1 + random.Next(0, 100)).ToString();
            }

            string spelled = string.Join("|", lines.Select(l => string.Join(random.Next(2) == 0 ? ", " : ",", l)));
            using HttpResponseMessage response = await client.GetAsync("/page?" + Uri.EscapeDataString(spelled));
            string body = await response.Content.ReadAsStringAsync();

            if (differ)
            {
                Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"[{spelled}]: {(int)response.StatusCode}");
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK && body.Length == length, $"[{spelled}]: {(int)response.StatusCode} {body.Length} bytes");
            }
        }
    }

    private static async Task<GatewayHarness> StartGatewayAsync(RawUpstream upstream)
    {
        GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        return harness;
    }
}
