using System.Net;
using System.Text;
using CasbCore.Activity;
using CasbCore.Model;
using CsCheck;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A response header value an app sends with bytes above 0x7F (raw UTF-8 from PHP's header() or a CGI server, a
/// Latin-1 name, traefik's "made with ❤️") reaches the browser byte for byte. Kestrel writes ASCII only by default, so
/// every such response was the gateway's 502 "the app cannot be reached", recorded against the app: a file with an
/// accented name could not be downloaded through the gateway at all.
/// </summary>
public sealed class NonAsciiResponseHeaderTests
{
    private const string Edge = Policies.PolicyTestData.Edge;

    public static TheoryData<string, string> Values => new()
    {
        { "Content-Disposition", Utf8Bytes("attachment; filename=\"résumé.pdf\"") },
        { "Content-Disposition", Utf8Bytes("attachment; filename=报告 2026.xlsx") },
        { "Set-Cookie", Utf8Bytes("name=José; Path=/") },
        { "X-Powered-By", Utf8Bytes("traefik (made with ❤️ with go)") },
        { "Last-Modified", Utf8Bytes("Dienstag, 31. März 2026") },
        { "X-Note", "caf\u00e9" }, // Latin-1: the byte 0xE9, not UTF-8
        { "X-Note", "\u00ff\u0080\u00a0end" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public async Task An_app_header_value_with_bytes_above_0x7F_reaches_the_client_byte_for_byte_over_HTTP_1_1(string name, string bytes)
    {
        await using FileUpstream upstream = await StartUpstreamAsync(name, bytes);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);

        RawResponse response = await RawHttps.SendAsync(harness.GatewayUrl, "/page", []);

        Assert.Equal(200, response.Status);
        Assert.Equal(bytes, response.Headers[name]);
        Assert.Equal("hello", response.Body);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal((200, null, null), (record.HttpStatus, record.Error, record.ErrorSource));
    }

    [Theory]
    [MemberData(nameof(Values))]
    public async Task An_app_header_value_with_bytes_above_0x7F_reaches_the_client_byte_for_byte_over_HTTP_2(string name, string bytes)
    {
        await using FileUpstream upstream = await StartUpstreamAsync(name, bytes);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        // HttpClient reads a response header one character per byte, as the gateway's upstream client does.
        using HttpClient client = harness.CreateClient(version: HttpVersion.Version20);

        using HttpResponseMessage response = await client.GetAsync("/page");

        Assert.Equal((HttpStatusCode.OK, new Version(2, 0)), (response.StatusCode, response.Version));
        Assert.Equal(bytes, HeaderValue(response, name));
        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
    }

    // The class: a value of any bytes an app may send (visible ASCII, tab, 0x80-0xFF) is passed on as it is, never a 502.
    [Fact]
    public async Task Any_header_value_an_app_sends_is_passed_on_byte_for_byte()
    {
        // The value's bytes travel in the query (samples run concurrently): the app sends them as the header.
        await using FileUpstream upstream = await FileUpstream.StartAsync(context =>
        {
            context.Response.Headers["X-Note"] = Encoding.Latin1.GetString(Convert.FromHexString(context.Request.Query["v"].ToString()));
            return context.Response.WriteAsync("hello");
        }, responseHeaderEncoding: Encoding.Latin1);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        Gen<char> octet = Gen.OneOf(Gen.Char['!', '~'], Gen.Const(' '), Gen.Const('\t'), Gen.Char['\u0080', '\u00ff']);

        await octet.Array[1, 24].Select(chars => "a" + new string(chars) + "z").SampleAsync(async value =>
        {
            RawResponse response = await RawHttps.SendAsync(harness.GatewayUrl, "/page?v=" + Convert.ToHexString(Encoding.Latin1.GetBytes(value)), []);

            Assert.True(response.Status == 200, $"{Escape(value)}: {response.Status} {response.Body}");
            Assert.Equal(Escape(value), Escape(response.Headers["X-Note"]));
        }, iter: 200);
    }

    /// <summary>
    /// A raw UTF-8 file name is decided and recorded as the browser reads it (UTF-8), under a policy that blocks its
    /// extension and one that lets it through.
    /// </summary>
    [Theory]
    [InlineData("attachment; filename=\"résumé.exe\"", "résumé.exe", true)]
    [InlineData("attachment; filename=報告.EXE", "報告.EXE", true)]
    [InlineData("attachment; filename=\"résumé.pdf\"", "résumé.pdf", false)]
    public async Task A_raw_UTF8_file_name_is_decided_and_recorded_under_the_name_the_browser_saves(string disposition, string savedAs, bool blocked)
    {
        await using FileUpstream upstream = await StartUpstreamAsync("Content-Disposition", Utf8Bytes(disposition));
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
            {
                Name = "Everyone via App Control",
                IncludeUsers = ["All"],
                SessionControl = SessionControlKind.AppControl,
                AppControlMode = AppControlMode.UseCustomPolicy,
            });
            c.SessionPolicies.Add(new SessionPolicyEntry
            {
                Name = "No exe",
                ControlType = SessionControlType.ControlFileDownload,
                Action = SessionPolicyAction.Block,
                FileExtensions = ["exe"],
            });
        }, upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/files/42") { Headers = { { "User-Agent", Edge } } });
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Download", savedAs), (record.FileDirection, record.FileName));
        if (blocked)
        {
            Assert.DoesNotContain("hello", body);
            Assert.Equal(savedAs + ".blocked.txt", response.Content.Headers.ContentDisposition?.FileNameStar);
            Assert.Equal(("Block", "No exe"), (record.FileAction, record.SessionPolicy));
        }
        else
        {
            Assert.Equal("hello", body);
            Assert.Equal(Utf8Bytes(disposition), HeaderValue(response, "Content-Disposition"));
            Assert.NotEqual("Block", record.FileAction);
        }
    }

    /// <summary>A value's UTF-8 bytes, one character per byte: what the app writes and a client reads back.</summary>
    private static string Utf8Bytes(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));

    private static Task<FileUpstream> StartUpstreamAsync(string name, string bytes) => FileUpstream.StartAsync(context =>
    {
        context.Response.Headers[name] = bytes;
        return context.Response.WriteAsync("hello");
    }, responseHeaderEncoding: Encoding.Latin1);

    private static string HeaderValue(HttpResponseMessage response, string name) =>
        string.Join(", ", response.Headers.NonValidated.TryGetValues(name, out var values) ? values
            : response.Content.Headers.NonValidated.TryGetValues(name, out values) ? values : default);

    private static string Escape(string value) => string.Concat(value.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\x{(int)c:X2}"));
}
