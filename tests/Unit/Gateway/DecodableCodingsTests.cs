using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using CasbCore.Activity;
using CasbCore.Model;
using CsCheck;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// In a session under session control the app is offered only the content codings the gateway can decode: Chromium
/// offers zstd, which the gateway cannot read, so an app that chose it for a text/plain page (Caddy's encode zstd gzip)
/// made the page a download decided fail closed (blocked under BlockDownloads). Outside session control the header is
/// the browser's.
/// </summary>
public sealed class DecodableCodingsTests
{
    private const string Edge = Policies.PolicyTestData.Edge;
    private const string Chromium = "gzip, deflate, br, zstd, dcb, dcz";
    private static readonly byte[] Text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 200).Select(i => $"log line {i}\n")));

    private static Action<CasbConfiguration> AppControl(AppControlMode mode) => c => c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
    {
        Name = "Everyone via App Control",
        IncludeUsers = ["All"],
        SessionControl = SessionControlKind.AppControl,
        AppControlMode = mode,
    });

    /// <summary>An app that answers text/plain in the first coding it is offered among zstd and gzip (as Caddy prefers zstd).</summary>
    private static Task<FileUpstream> TextPlainApp(ConcurrentDictionary<string, string> offered) => FileUpstream.StartAsync(async context =>
    {
        string acceptEncoding = context.Request.Headers.AcceptEncoding.ToString();
        offered[context.Request.Path + context.Request.QueryString] = acceptEncoding;
        context.Response.ContentType = "text/plain; charset=utf-8";
        if (acceptEncoding.Contains("zstd", StringComparison.Ordinal))
        {
            context.Response.Headers.ContentEncoding = "zstd";
            await context.Response.Body.WriteAsync(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x01, 0x02 }); // a zstd frame's magic: the gateway cannot decode it
            return;
        }

        if (acceptEncoding.Contains("gzip", StringComparison.Ordinal))
        {
            context.Response.Headers.ContentEncoding = "gzip";
            await context.Response.Body.WriteAsync(Gzip(Text));
            return;
        }

        await context.Response.Body.WriteAsync(Text);
    });

    [Fact]
    public async Task A_text_plain_page_under_BlockDownloads_reaches_a_browser_that_offers_zstd()
    {
        var offered = new ConcurrentDictionary<string, string>();
        await using FileUpstream upstream = await TextPlainApp(offered);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(AppControl(AppControlMode.BlockDownloads), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, "/logs/today") { Headers = { { "User-Agent", Edge } } };
        request.Headers.TryAddWithoutValidation("Accept-Encoding", Chromium);

        using HttpResponseMessage response = await client.SendAsync(request);
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        Assert.Equal(Text, Gunzip(body));
        Assert.Equal("gzip, deflate, br", offered["/logs/today"]);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Null(record.FileAction);
    }

    // The class: any Accept-Encoding list (known and unknown codings, q-values, case, white space, '*') reaches the app
    // as its decodable entries in order (identity when none is), in a session under session control; as sent otherwise.
    [Fact]
    public async Task The_app_is_offered_exactly_the_decodable_codings_under_session_control_and_the_browsers_list_otherwise()
    {
        var offered = new ConcurrentDictionary<string, string>();
        await using FileUpstream upstream = await FileUpstream.StartAsync(context =>
        {
            offered[context.Request.Path + context.Request.QueryString] = context.Request.Headers.AcceptEncoding.ToString();
            return context.Response.WriteAsync("page");
        });
        await using GatewayHarness controlled = await GatewayHarness.StartAsync(AppControl(AppControlMode.MonitorOnly), upstreamOverride: upstream.Url);
        await using GatewayHarness plain = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        plain.Decider.Decide = (state, request) => plain.Allow(state, request);
        using HttpClient controlledClient = controlled.CreateClient();
        using HttpClient plainClient = plain.CreateClient();
        Gen<string> coding = Gen.OneOf<string>("gzip", "GZIP", "x-gzip", "deflate", "br", "Br", "identity", "zstd", "dcb", "dcz", "compress", "*", "xz");
        Gen<string> entry = Gen.Select(coding, Gen.OneOf<string>("", ";q=0.5", ";q=1.0", " ; q=0"), Gen.OneOf<string>("", " ", "  ")).Select((c, q, space) => space + c + q);
        int n = 0;

        await entry.Array[1, 6].Select(entries => string.Join(",", entries)).SampleAsync(async list =>
        {
            string path = $"/page?n={Interlocked.Increment(ref n)}";
            foreach ((HttpClient client, bool narrowed) in new[] { (controlledClient, true), (plainClient, false) })
            {
                var request = new HttpRequestMessage(HttpMethod.Get, path + (narrowed ? "&c" : "&p")) { Headers = { { "User-Agent", Edge } } };
                request.Headers.TryAddWithoutValidation("Accept-Encoding", list);
                using HttpResponseMessage response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);

                string[] entries = list.Split(',').Select(e => e.Trim()).Where(e => e.Length > 0).ToArray();
                string[] decodable = entries.Where(e => e.Split(';')[0].Trim().ToLowerInvariant() is "gzip" or "x-gzip" or "deflate" or "br" or "identity").ToArray();
                string expected = !narrowed || decodable.Length == entries.Length ? string.Join(", ", entries) : decodable.Length == 0 ? "identity" : string.Join(", ", decodable);
                Assert.True(Normalize(offered[path + (narrowed ? "&c" : "&p")]) == Normalize(expected), $"'{list}' {(narrowed ? "under" : "without")} session control: the app was offered '{offered[path + (narrowed ? "&c" : "&p")]}', expected '{expected}'");
            }
        }, iter: 100);
    }

    // Kestrel joins and HttpClient re-splits list headers: compare the entries, not the spacing.
    private static string Normalize(string list) => string.Join(",", list.Split(',').Select(e => string.Concat(e.Where(c => c != ' '))).Where(e => e.Length > 0));

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress))
        {
            gzip.CopyTo(output);
        }

        return output.ToArray();
    }
}
