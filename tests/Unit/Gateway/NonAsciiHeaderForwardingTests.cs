using System.Text;
using CasbCore.Activity;
using CsCheck;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A request header value Kestrel accepted reaches the app byte for byte. Kestrel reads a header value as ASCII or
/// UTF-8 (and refuses any other byte with a 400); the upstream client must write it back the same way: HttpClient's
/// default, ASCII only, made every request that carried a UTF-8 value (a browser upload library's X-File-Name, a
/// User-Agent with a non-Latin device name) a 502 "the app is not reachable", recorded and counted against the app.
/// </summary>
public sealed class NonAsciiHeaderForwardingTests
{
    public static TheoryData<string, string> Values => new()
    {
        { "X-File-Name", "résumé.pdf" },
        { "X-File-Name", "报告 2026.xlsx" },
        { "User-Agent", "Device\u2028Name\u2029 😀" },
        { "X-Note", "caf\u00e9 \u00a0nbsp \ufeffbom" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public async Task A_UTF8_header_value_reaches_the_app_as_sent_and_the_request_is_not_an_upstream_error(string name, string value)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);

        RawResponse response = await RawHttps.SendAsync(harness.GatewayUrl, "/utf8", [new(name, value)]);

        Assert.Equal(200, response.Status);
        Assert.Contains(new KeyValuePair<string, string>(name, value), harness.UpstreamHeaders["/utf8"]);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal((200, null, null), (record.HttpStatus, record.Error, record.ErrorSource));
    }

    // The class: any value of valid UTF-8 (letters of any script, symbols, astral characters, U+2028/U+2029, ASCII
    // around them) is either refused by Kestrel as the client's error or proxied unchanged; never an upstream error.
    [Fact]
    public async Task Any_UTF8_header_value_is_proxied_unchanged()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        Gen<string> character = Gen.OneOf(
            Gen.Char[' ', '~'].Select(c => c.ToString()),
            Gen.Char['\u00a0', '\ud7ff'].Select(c => c.ToString()),
            Gen.Char['\ue000', '\ufffd'].Select(c => c.ToString()),
            Gen.Int[0x10000, 0x10ffff].Select(char.ConvertFromUtf32));
        int n = 0;
        await character.Array[1, 12].Select(string.Concat).SampleAsync(async generated =>
        {
            // Kestrel trims the value's outer whitespace: the letters around keep it what the app must see.
            string value = "a" + generated + "z";
            string path = $"/utf8-{++n}";

            RawResponse response = await RawHttps.SendAsync(harness.GatewayUrl, path, [new("X-Note", value)]);

            Assert.True(response.Status == 200, $"{Escape(value)}: {response.Status}");
            Assert.Equal(value, Assert.Single(harness.UpstreamHeaders[path], h => h.Key == "X-Note").Value);
            ActivityRecord record = (await harness.WaitForActivityAsync(n))[0];
            Assert.Equal((path, null), (record.Path, record.ErrorSource));
        }, iter: 40, threads: 1);
    }

    private static string Escape(string value) =>
        string.Concat(value.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:x4}"));
}
