using System.IO.Compression;
using System.Net;
using CasbCore.Activity;
using CasbCore.Model;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A 2xx GET declared text/plain without nosniff whose body Chromium sniffs as binary is saved as a file, so the gateway
/// peeks at the first 1024 decoded bytes and decides it as a download; a textual one stays a page, and every body the
/// decision lets through reaches the client byte for byte (Content-Length, chunked, gzip).
/// </summary>
public sealed class SniffedTextPlainTests
{
    private const string Edge = Policies.PolicyTestData.Edge;

    /// <summary>The start of a Windows executable: "MZ", then bytes Chromium reads as binary.</summary>
    private static readonly byte[] Executable = [.. "MZ\u0090\0\u0003\0\0\0\u0004\0"u8, .. Enumerable.Range(0, 5000).Select(i => (byte)i)];

    private static readonly byte[] Text = [.. Enumerable.Range(0, 3000).SelectMany(i => System.Text.Encoding.UTF8.GetBytes($"line {i}: déjà vu\r\n"))];

    private static readonly SessionPolicyEntry NoExecutables = new()
    {
        Name = "No executables",
        ControlType = SessionControlType.ControlFileDownload,
        Action = SessionPolicyAction.Block,
        FileExtensions = ["exe"],
        BlockMessage = "Programs stay on the server.",
    };

    private static Action<CasbConfiguration> Mode(AppControlMode mode, params SessionPolicyEntry[] policies) => c =>
    {
        c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Everyone via App Control",
            IncludeUsers = ["All"],
            SessionControl = SessionControlKind.AppControl,
            AppControlMode = mode,
        });
        c.SessionPolicies.AddRange(policies);
    };

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path) { Headers = { { "User-Agent", Edge } } };

    /// <summary>An upstream that answers text/plain with <paramref name="body"/>, chunked unless <paramref name="contentLength"/>.</summary>
    private static Task<FileUpstream> TextPlainUpstream(byte[] body, bool contentLength = true, string contentType = "text/plain", bool nosniff = false, string? encoding = null) =>
        FileUpstream.StartAsync(async context =>
        {
            context.Response.Headers.ContentType = contentType;
            if (nosniff)
            {
                context.Response.Headers.XContentTypeOptions = "nosniff";
            }

            if (encoding is not null)
            {
                context.Response.Headers.ContentEncoding = encoding;
            }

            if (contentLength)
            {
                context.Response.ContentLength = body.Length;
                await context.Response.Body.WriteAsync(body);
                return;
            }

            // Chunked, in small writes: the window spans several reads.
            for (int i = 0; i < body.Length; i += 300)
            {
                await context.Response.Body.WriteAsync(body.AsMemory(i, Math.Min(300, body.Length - i)));
                await context.Response.Body.FlushAsync();
            }
        });

    private static byte[] Gzip(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(body);
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData("/files/tool.exe", "text/plain", true, "tool.exe.blocked.txt")]
    [InlineData("/files/tool.exe", "TEXT/PLAIN; charset=ISO-8859-1", false, "tool.exe.blocked.txt")]
    [InlineData("/get?id=5", "text/plain; charset=utf-8", true, "get.blocked.txt")]
    public async Task BlockDownloads_blocks_a_text_plain_body_the_browser_sniffs_as_binary(string path, string contentType, bool contentLength, string savedAs)
    {
        await using var upstream = await TextPlainUpstream(Executable, contentLength, contentType);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.BlockDownloads), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(Get(path));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(savedAs, response.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Contains($"Downloads from {GatewayHarness.AppName} are blocked by your organization", body);
        Assert.DoesNotContain("MZ", body);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Block", "Download", "Block"), (record.Action, record.FileDirection, record.FileAction));
    }

    [Theory]
    [InlineData("/files/tool.exe", "tool.exe")]
    [InlineData("/get?id=5", "get.exe")] // Chromium saves it as "get"; the engine decides the executable as the .exe it is too
    public async Task A_block_exe_policy_blocks_an_executable_served_as_text_plain(string path, string recorded)
    {
        await using var upstream = await TextPlainUpstream(Executable);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(Get(path));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Contains("Programs stay on the server.", body);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Download", "Block", "No executables", recorded), (record.FileDirection, record.FileAction, record.SessionPolicy, record.FileName));
    }

    [Theory]
    [InlineData(true, false, null)] // text, Content-Length
    [InlineData(false, false, null)] // text, chunked
    [InlineData(true, true, null)] // binary, but nosniff: the browser shows it as text
    [InlineData(false, true, null)]
    [InlineData(true, false, "gzip")] // gzip of text: the decoded bytes are text
    [InlineData(false, false, "gzip")]
    [InlineData(true, false, "deflate")]
    [InlineData(true, false, "br")]
    public async Task A_text_plain_page_reaches_the_client_byte_for_byte(bool contentLength, bool nosniff, string? encoding)
    {
        byte[] plain = nosniff ? Executable : Text;
        byte[] sent = encoding switch
        {
            "gzip" => Gzip(plain),
            "deflate" => Compress(plain, s => new ZLibStream(s, CompressionLevel.Optimal)),
            "br" => Compress(plain, s => new BrotliStream(s, CompressionLevel.Optimal)),
            _ => plain,
        };
        await using var upstream = await TextPlainUpstream(sent, contentLength, nosniff: nosniff, encoding: encoding);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.BlockDownloads), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(Get("/logs/build"));
        byte[] received = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Convert.ToHexString(sent), Convert.ToHexString(received));
        Assert.Equal(!contentLength, response.Headers.TransferEncodingChunked == true); // framed as the upstream framed it
        if (contentLength)
        {
            Assert.Equal(sent.Length, response.Content.Headers.ContentLength);
        }
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Null(record.FileAction);
    }

    private static byte[] Compress(byte[] body, Func<Stream, Stream> compressor)
    {
        using var output = new MemoryStream();
        using (Stream stream = compressor(output))
        {
            stream.Write(body);
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_gzip_encoded_binary_body_is_decided_by_its_decoded_bytes(bool contentLength)
    {
        await using var upstream = await TextPlainUpstream(Gzip(Executable), contentLength, encoding: "gzip");
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.BlockDownloads), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(Get("/files/tool.exe"));

        Assert.Equal("tool.exe.blocked.txt", response.Content.Headers.ContentDisposition?.FileNameStar);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal("Block", record.FileAction);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'M', (byte)'Z', 0 }, true)] // shorter than the window: all of it is sniffed
    [InlineData(new byte[] { (byte)'o', (byte)'k', (byte)'\n' }, false)]
    public async Task A_body_shorter_than_the_window_is_sniffed_whole(byte[] body, bool blocked)
    {
        await using var upstream = await TextPlainUpstream(body);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.BlockDownloads), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(Get("/x"));
        byte[] received = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(blocked, response.Content.Headers.ContentDisposition is not null);
        if (!blocked)
        {
            Assert.Equal(body, received);
        }
    }

    [Fact]
    public async Task MonitorOnly_lets_a_sniffed_binary_body_through_unchanged_and_records_it()
    {
        await using var upstream = await TextPlainUpstream(Executable, contentLength: false);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.MonitorOnly), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(Get("/files/tool.exe"));

        Assert.Equal(Executable, await response.Content.ReadAsByteArrayAsync());
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Monitor", "Audit", "tool.exe"), (record.Action, record.FileAction, record.FileName));
    }

    [Fact]
    public async Task An_upstream_that_ends_early_or_stalls_before_the_window_is_decided_as_a_download()
    {
        await using var upstream = await FileUpstream.StartAsync(async context =>
        {
            context.Response.Headers.ContentType = "text/plain";
            if (context.Request.Path == "/short")
            {
                context.Response.ContentLength = 5000;
                await context.Response.Body.WriteAsync("only this much text"u8.ToArray());
                await context.Response.Body.FlushAsync();
                await Task.Delay(300); // the gateway has read the headers and these bytes before the reset
                context.Abort();
                return;
            }

            await context.Response.Body.WriteAsync("a slow text stream"u8.ToArray());
            await context.Response.Body.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
        });
        await using GatewayHarness harness = await GatewayHarness.StartAsync(
            Mode(AppControlMode.BlockDownloads), upstreamOverride: upstream.Url, upstreamTimeout: TimeSpan.FromSeconds(2));
        using HttpClient client = harness.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(20);

        foreach (string path in new[] { "/short", "/slow" })
        {
            using HttpResponseMessage response = await client.SendAsync(Get(path));

            Assert.True(path.TrimStart('/') + ".blocked.txt" == response.Content.Headers.ContentDisposition?.FileNameStar, $"{path}: {response}");
        }
    }

    [Theory]
    [InlineData("text/html; charset=utf-8", null)]
    [InlineData("application/json", null)]
    [InlineData("text/plain; charset=utf-8", "nosniff")]
    public void Deciding_whether_to_sniff_a_page_costs_no_allocation(string contentType, string? options)
    {
        using var page = new HttpResponseMessage { Content = new StreamContent(Stream.Null) };
        page.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (options is not null)
        {
            page.Headers.TryAddWithoutValidation("X-Content-Type-Options", options);
        }

        Assert.False(CasbGateway.SessionControl.DownloadDetector.IsSniffedTextPlain(page, fetchesFile: true)); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            CasbGateway.SessionControl.DownloadDetector.IsSniffedTextPlain(page, fetchesFile: true);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
