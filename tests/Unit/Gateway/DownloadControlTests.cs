using CsCheck;
using System.Net;
using System.Net.Http.Headers;
using CasbCore.Activity;
using CasbCore.Model;
using CasbCore.Policies;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>Session control at the gateway: downloads decided by the engine in the response stage, seen by a real client.</summary>
public sealed class DownloadControlTests
{
    private const string Edge = Policies.PolicyTestData.Edge;

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

    [Fact]
    public async Task BlockDownloads_replaces_a_download_with_a_blocked_txt_file_and_lets_pages_through()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.BlockDownloads));
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage download = await client.SendAsync(Get("/download/q3.xlsx?bytes=5000"));
        string body = await download.Content.ReadAsStringAsync();
        using HttpResponseMessage page = await client.SendAsync(Get("/"));

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("q3.xlsx.blocked.txt", download.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("text/plain", download.Content.Headers.ContentType?.MediaType);
        string correlationId = download.Headers.GetValues("X-Casb-Correlation-Id").Single();
        Assert.Contains($"Downloads from {GatewayHarness.AppName} are blocked by your organization", body);
        Assert.Contains($"Correlation id: {correlationId}", body);
        Assert.DoesNotContain("xxxxxxxx", body);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        ActivityRecord record = (await harness.WaitForActivityAsync(2)).Single(r => r.Path!.StartsWith("/download", StringComparison.Ordinal));
        Assert.Equal(("Block", 200, "Download", "q3.xlsx", "Block", 5000L), (record.Action, record.HttpStatus, record.FileDirection, record.FileName, record.FileAction, record.FileSizeBytes));
        Assert.Equal(correlationId, record.CorrelationId);
    }

    [Fact]
    public async Task Curl_saves_a_blocked_download_as_name_blocked_txt_with_the_message_and_the_correlation_id()
    {
        var policy = new SessionPolicyEntry
        {
            Name = "No spreadsheets",
            ControlType = SessionControlType.ControlFileDownload,
            Action = SessionPolicyAction.Block,
            FileExtensions = ["xlsx"],
            BlockMessage = "Spreadsheets stay on the server.",
        };
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, policy));
        DirectoryInfo folder = Directory.CreateTempSubdirectory("casb-curl-");
        try
        {
            // curl -OJ saves under the name the server's Content-Disposition gives, as a browser does.
            var curl = new System.Diagnostics.ProcessStartInfo("curl")
            {
                WorkingDirectory = folder.FullName,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            foreach (string arg in new[] { "-sk", "-OJ", "-A", Edge, "-D", "-", new Uri(harness.GatewayUrl, "/download/Q3%20report.xlsx?bytes=200000").AbsoluteUri })
            {
                curl.ArgumentList.Add(arg);
            }

            using var process = System.Diagnostics.Process.Start(curl)!;
            string headers = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();

            Assert.Equal(0, process.ExitCode);
            FileInfo saved = Assert.Single(folder.GetFiles());
            Assert.Equal("Q3 report.xlsx.blocked.txt", saved.Name);
            string text = await File.ReadAllTextAsync(saved.FullName);
            string correlationId = headers.Split("\r\n").Single(h => h.StartsWith("X-Casb-Correlation-Id:", StringComparison.OrdinalIgnoreCase))[22..].Trim();
            Assert.Contains("Spreadsheets stay on the server.", text);
            Assert.Contains($"Correlation id: {correlationId}", text);
            Assert.Contains("'Q3 report.xlsx'", text);
            Assert.True(saved.Length < 1000);
            ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
            Assert.Equal((correlationId, "Block", "No spreadsheets", "Q3 report.xlsx"), (record.CorrelationId, record.FileAction, record.SessionPolicy, record.FileName));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_URL_whose_extension_a_policy_names_is_a_download_without_a_Content_Disposition()
    {
        var policy = new SessionPolicyEntry
        {
            Name = "No spreadsheets",
            ControlType = SessionControlType.ControlFileDownload,
            Action = SessionPolicyAction.Block,
            FileExtensions = ["xlsx"],
        };
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, policy));
        using HttpClient client = harness.CreateClient();

        // The sample app answers any other path with an HTML page and no Content-Disposition.
        using HttpResponseMessage named = await client.SendAsync(Get("/files/Q3.XLSX"));
        string text = await named.Content.ReadAsStringAsync();
        using HttpResponseMessage other = await client.SendAsync(Get("/files/q3.html"));

        Assert.Equal("Q3.XLSX.blocked.txt", named.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Contains($"This download from {GatewayHarness.AppName} is blocked", text);
        Assert.DoesNotContain(CasbGateway.SampleApp.SampleAppHost.Banner, text);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Contains(CasbGateway.SampleApp.SampleAppHost.Banner, await other.Content.ReadAsStringAsync());
        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(2);
        Assert.Equal(("Download", "Q3.XLSX", "Block"), records.Select(r => (r.FileDirection, r.FileName, r.FileAction)).Single(r => r.FileName is not null));
    }

    [Fact]
    public async Task A_session_policy_blocks_the_extensions_it_names_and_the_what_if_agrees()
    {
        var policy = new SessionPolicyEntry
        {
            Name = "No spreadsheets",
            ControlType = SessionControlType.ControlFileDownload,
            Action = SessionPolicyAction.Block,
            FileExtensions = ["xlsx"],
            BlockMessage = "Spreadsheets stay on the server.",
        };
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, policy));
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage blocked = await client.SendAsync(Get("/download/Q3.XLSX"));
        using HttpResponseMessage allowed = await client.SendAsync(Get("/download/readme.txt?bytes=10"));

        Assert.Equal("Q3.XLSX.blocked.txt", blocked.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Contains("Spreadsheets stay on the server.", await blocked.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("xxxxxxxxxx", await allowed.Content.ReadAsStringAsync());

        // The what-if asks the same engine the same question.
        var engine = new CasbCore.CasbEngine(harness.Store.Load());
        AccessDecision session = engine.Decide(new AccessRequest { AppName = GatewayHarness.AppName, UserAgent = Edge });
        Assert.Equal(FileAction.Block, engine.DecideFile(session, new FileTransfer(FileTransferDirection.Download, "Q3.XLSX", null)).Action);
        Assert.Equal(FileAction.Allow, engine.DecideFile(session, new FileTransfer(FileTransferDirection.Download, "readme.txt", 10)).Action);
    }

    [Fact]
    public async Task MonitorOnly_lets_the_download_through_and_records_it()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.MonitorOnly));
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage download = await client.SendAsync(Get("/download/report.pdf?bytes=3"));

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("report.pdf", download.Content.Headers.ContentDisposition?.FileNameStar ?? download.Content.Headers.ContentDisposition?.FileName);
        Assert.Equal("xxx", await download.Content.ReadAsStringAsync());
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Monitor", "Audit", "report.pdf"), (record.Action, record.FileAction, record.FileName));
    }

    [Fact]
    public async Task A_session_outside_App_Control_downloads_untouched_and_records_no_file()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage download = await client.SendAsync(Get("/download/q3.xlsx?bytes=4"));

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Null(record.FileAction);
        Assert.Equal("Allow", record.Action);
    }

    [Theory]
    [InlineData("attachment; filename=\"a.xlsx\"", "a.xlsx")]
    [InlineData("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.xlsx", "résumé.xlsx")]
    [InlineData("inline; filename=\"a.pdf\"", "a.pdf")]
    [InlineData("attachment", null)]
    public void A_response_with_a_file_disposition_is_a_download(string header, string? name)
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent([1, 2, 3]) };
        response.Content.Headers.TryAddWithoutValidation("Content-Disposition", header);

        CasbGateway.SessionControl.DownloadFile? download = CasbGateway.SessionControl.DownloadDetector.DownloadOf(response, RequestPath.Parse("/get"), null);

        Assert.NotNull(download);
        Assert.Equal(name ?? "get", download.SavedAs);
        Assert.Equal(3, download.SizeBytes);
    }

    [Fact]
    public void A_page_or_an_inline_disposition_without_a_name_is_not_a_download()
    {
        using var page = new HttpResponseMessage { Content = new StringContent("<html/>") };
        using var inline = new HttpResponseMessage { Content = new StringContent("x") };
        inline.Content.Headers.ContentDisposition = new ContentDispositionHeaderValue("inline");

        Assert.Null(CasbGateway.SessionControl.DownloadDetector.DownloadOf(page, RequestPath.Parse("/report.pdf"), null));
        Assert.Null(CasbGateway.SessionControl.DownloadDetector.DownloadOf(inline, RequestPath.Parse("/"), null));
    }

    [Theory]
    [InlineData("attachment; filename=\"q3.xlsx\"; filename*=UTF-8''notes.txt", new[] { "notes.txt", "q3.xlsx" })]
    [InlineData("attachment; filename=\"q3%2Exlsx\"", new[] { "q3%2Exlsx", "q3.xlsx" })]
    [InlineData("attachment; filename=\"a.txt\"; filename=\"b.xlsx\"", new[] { "a.txt", "b.xlsx" })]
    [InlineData("attachment; filename*0=\"q3\"; filename*1=\".xlsx\"", new[] { "q3", ".xlsx", "q3.xlsx" })]
    public void A_download_is_known_under_every_spelling_of_its_name(string header, string[] names)
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent([1]) };
        response.Content.Headers.TryAddWithoutValidation("Content-Disposition", header);

        CasbGateway.SessionControl.DownloadFile? download = CasbGateway.SessionControl.DownloadDetector.DownloadOf(response, RequestPath.Parse("/"), null);

        // An ambiguous header (a parameter twice, RFC 2231 continuations) is still a download, under every name it could mean.
        Assert.NotNull(download);
        Assert.Equal(names, download.Names);
    }

    // Headers the header library refuses but browsers read (Chrome and Firefox take an unquoted value up to the ';', keep
    // an unescaped quote, decode raw UTF-8): apps that paste a file name into the header send them.
    [Theory]
    [InlineData("attachment; filename=Q3 report.exe", "Q3 report.exe")]
    [InlineData("attachment; filename=[setup].exe", "[setup].exe")]
    [InlineData("attachment; filename=\"setup.exe", "setup.exe")]
    [InlineData("attachment; filename=setup.exe;;", "setup.exe")]
    [InlineData("attachment; filename=setup.exe; size=1 2", "setup.exe")]
    [InlineData("attachment;filename=r\u00c3\u00a9sum\u00c3\u00a9.exe", "r\u00c3\u00a9sum\u00c3\u00a9.exe")]
    public void A_disposition_the_header_library_cannot_parse_is_decided_under_the_name_a_browser_saves(string header, string name)
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent([1]) };
        response.Content.Headers.TryAddWithoutValidation("Content-Disposition", header);

        CasbGateway.SessionControl.DownloadFile? download = CasbGateway.SessionControl.DownloadDetector.DownloadOf(response, RequestPath.Parse("/files/42"), null);

        // Decided as a download (fail closed) but under the URL's "42" alone, an extension filter never matched it.
        Assert.NotNull(download);
        Assert.Contains(name, download.Names);
    }

    /// <summary>
    /// A disposition the header library cannot parse (an unquoted name with a space), and a name in RFC 2047 encoded words
    /// (which Chrome and Firefox decode): the blocked extension is still blocked end to end, the body never reaches the
    /// client, and the activity records the block.
    /// </summary>
    [Theory]
    [InlineData("attachment; filename=Q3 setup.exe", "exe", "MZ-secret", "Q3 setup.exe.blocked.txt")]
    [InlineData("attachment; filename=\"=?UTF-8?Q?Bericht=5F=C3=A4.xlsx?=\"", "xlsx", "PK-secret", null)]
    public async Task A_blocked_extension_in_a_name_the_header_library_does_not_read_is_still_blocked(
        string disposition, string extension, string body, string? blockedName)
    {
        var policy = new SessionPolicyEntry
        {
            Name = "No " + extension,
            ControlType = SessionControlType.ControlFileDownload,
            Action = SessionPolicyAction.Block,
            FileExtensions = [extension],
        };
        await using var upstream = await FileUpstream.StartAsync(context =>
        {
            context.Response.Headers.ContentDisposition = disposition;
            return context.Response.Body.WriteAsync(System.Text.Encoding.ASCII.GetBytes(body)).AsTask();
        });
        await using GatewayHarness harness = await GatewayHarness.StartAsync(
            Mode(AppControlMode.UseCustomPolicy, policy), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage download = await client.SendAsync(Get("/files/42"));

        Assert.DoesNotContain(body, await download.Content.ReadAsStringAsync());
        Assert.EndsWith(".blocked.txt", download.Content.Headers.ContentDisposition?.FileNameStar);
        if (blockedName is not null)
        {
            Assert.Equal(blockedName, download.Content.Headers.ContentDisposition?.FileNameStar);
        }

        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Download", "Block", "No " + extension), (record.FileDirection, record.FileAction, record.SessionPolicy));
    }

    // RFC 2047 encoded words, which Chrome and Firefox decode in a filename (B and Q, quoted or not, several words),
    // as do Apache Commons FileUpload and Python's email parser in an upload: Java's MimeUtility.encodeText writes Q
    // for a mostly-ASCII name ("Bericht_ä.xlsx") and splits a long one into several words.
    [Theory]
    [InlineData("attachment; filename=\"=?UTF-8?Q?Bericht=5F=C3=A4.xlsx?=\"", "Bericht_ä.xlsx")]
    [InlineData("attachment; filename=\"=?utf-8?q?setup.exe?=\"", "setup.exe")]
    [InlineData("attachment; filename==?UTF-8?B?c2V0dXAuZXhl?=", "setup.exe")]
    [InlineData("attachment; filename=\"=?UTF-8?B?c2V0?= =?UTF-8?B?dXAuZXhl?=\"", "setup.exe")]
    [InlineData("attachment; filename=\"=?ISO-8859-1?Q?r=E9sum=E9.exe?=\"", "résumé.exe")]
    [InlineData("attachment; filename*=UTF-8''%3D%3FUTF-8%3FQ%3Fsetup.exe%3F%3D", "setup.exe")]
    public void A_name_in_RFC_2047_encoded_words_is_known_decoded(string header, string name)
    {
        using var response = new HttpResponseMessage { Content = new ByteArrayContent([1]) };
        response.Content.Headers.TryAddWithoutValidation("Content-Disposition", header);

        CasbGateway.SessionControl.DownloadFile? download = CasbGateway.SessionControl.DownloadDetector.DownloadOf(response, RequestPath.Parse("/files/42"), null);

        Assert.NotNull(download);
        Assert.Contains(name, download.Names);
    }

    [Fact]
    public void Every_RFC_2047_encoding_of_a_name_keeps_its_extension_among_the_names()
    {
        // A name (non-ASCII too) cut into 1-3 words, each B or Q with either case, quoted or not.
        Gen<string> stems = Gen.String[Gen.Char["ab Q3_-.\u00e4\u00e9\u20ac"], 1, 20];
        Gen.Select(stems, Gen.Int[1, 3], Gen.Int[0, 3], Gen.Bool).Sample((stem, pieces, coding, quoted) =>
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(stem.Trim(' ', '.') + ".exe");
            int size = (bytes.Length + pieces - 1) / pieces;
            var words = new List<string>();
            for (int at = 0; at < bytes.Length; at += size)
            {
                byte[] piece = bytes[at..Math.Min(bytes.Length, at + size)];
                string text = coding < 2
                    ? Convert.ToBase64String(piece)
                    : string.Concat(piece.Select(b => b == (byte)' ' ? "_" : b is >= 0x30 and < 0x7f and not (byte)'=' and not (byte)'?' and not (byte)'_' ? ((char)b).ToString() : $"={b:X2}"));
                words.Add($"=?UTF-8?{"BbQq"[coding]}?{text}?=");
            }

            string value = string.Join(" ", words);
            using var response = new HttpResponseMessage { Content = new ByteArrayContent([1]) };
            response.Content.Headers.TryAddWithoutValidation("Content-Disposition", quoted ? $"attachment; filename=\"{value}\"" : $"attachment; filename={value}");

            CasbGateway.SessionControl.DownloadFile? download = CasbGateway.SessionControl.DownloadDetector.DownloadOf(response, RequestPath.Parse("/files/42"), null);

            Assert.NotNull(download);
            Assert.Contains(download.Names, n => FileTransfer.ExtensionOf(n) == "exe");
        });
    }

    [Fact]
    public void Every_way_an_app_can_paste_a_name_into_the_header_keeps_its_extension_among_the_names()
    {
        // A stem a user chose (spaces, brackets, quotes, non-ASCII read as Latin-1, ';'), its extension, a sloppy header.
        Gen<string> stems = Gen.String[Gen.Char["ab Q3[]()\"';,=\u00c3\u00a9\u00e9-_."], 1, 20];
        Gen<Func<string, string>> headers = Gen.OneOf(
            Gen.Const<Func<string, string>>(n => $"attachment; filename={n}"),
            Gen.Const<Func<string, string>>(n => $"attachment;filename=\"{n}\""),
            Gen.Const<Func<string, string>>(n => $"attachment; filename=\"{n}"),
            Gen.Const<Func<string, string>>(n => $"inline; filename={n}; size=1"),
            Gen.Const<Func<string, string>>(n => $"filename={n}"),
            Gen.Const<Func<string, string>>(n => $"attachment; FILENAME = {n} ;"));
        Gen.Select(stems, headers).Sample((stem, header) =>
        {
            string name = stem.Trim(' ', '.') + ".exe";
            if (name.Contains(';') || name.Contains('"') || name.Contains('='))
            {
                return; // a name that is itself ambiguous in the header: some reader cuts it before its extension
            }

            using var response = new HttpResponseMessage { Content = new ByteArrayContent([1]) };
            response.Content.Headers.TryAddWithoutValidation("Content-Disposition", header(name));

            CasbGateway.SessionControl.DownloadFile? download = CasbGateway.SessionControl.DownloadDetector.DownloadOf(response, RequestPath.Parse("/files/42"), null);

            Assert.NotNull(download);
            Assert.Contains(download.Names, n => FileTransfer.ExtensionOf(n) == "exe");
        });
    }

    private static readonly SessionPolicyEntry NoLargeDownloads = new()
    {
        Name = "No large downloads",
        ControlType = SessionControlType.ControlFileDownload,
        Action = SessionPolicyAction.Block,
        MinFileSizeMB = 2,
        BlockMessage = "Files of 2 MB or more stay on the server.",
    };

    // The size a size filter decides is the file's: a range is part of a file the client can fetch whole a range at a
    // time, and a Content-Encoding'd body is saved decoded, larger than its Content-Length.
    [Theory]
    [InlineData(206, "bytes 0-9/5000000", null, 5_000_000L)]
    [InlineData(206, "bytes 0-9/*", null, null)]
    [InlineData(206, null, null, null)]
    [InlineData(200, null, "gzip", null)]
    [InlineData(200, null, "br", null)]
    [InlineData(200, null, "identity", 10L)]
    public void A_download_is_sized_as_the_file_a_client_saves_not_as_the_bytes_of_this_response(int status, string? contentRange, string? contentEncoding, long? size)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new ByteArrayContent(new byte[10]) };
        response.Content.Headers.TryAddWithoutValidation("Content-Disposition", "attachment; filename=\"big.csv\"");
        if (contentRange is not null)
        {
            response.Content.Headers.TryAddWithoutValidation("Content-Range", contentRange);
        }

        if (contentEncoding is not null)
        {
            response.Content.Headers.TryAddWithoutValidation("Content-Encoding", contentEncoding);
        }

        CasbGateway.SessionControl.DownloadFile? download = CasbGateway.SessionControl.DownloadDetector.DownloadOf(response, RequestPath.Parse("/big.csv"), null);

        Assert.NotNull(download);
        Assert.Equal(size, download.SizeBytes);
    }

    [Fact]
    public async Task A_size_filter_blocks_a_large_file_fetched_a_range_at_a_time_or_compressed_and_the_what_if_agrees()
    {
        byte[] file = Enumerable.Repeat((byte)'x', 3 * 1024 * 1024).ToArray();
        await using var upstream = await FileUpstream.StartAsync(async context =>
        {
            if (context.Request.Path == "/compressed/big.csv")
            {
                // What ResponseCompression or nginx's gzip does to a CSV export: 3 MiB saved, a few KiB on the wire.
                using var packed = new MemoryStream();
                using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
                {
                    gzip.Write(file);
                }

                context.Response.Headers.ContentDisposition = "attachment; filename=\"big.csv\"";
                context.Response.Headers.ContentEncoding = "gzip";
                context.Response.ContentLength = packed.Length;
                await context.Response.Body.WriteAsync(packed.ToArray());
                return;
            }

            await Results.File(file, "text/csv", "big.csv", enableRangeProcessing: true).ExecuteAsync(context);
        });
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoLargeDownloads), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();

        using HttpRequestMessage ranged = Get("/files/big.csv");
        ranged.Headers.Range = new RangeHeaderValue(0, 1024 * 1024 - 1);
        using HttpResponseMessage firstMiB = await client.SendAsync(ranged);
        using HttpResponseMessage compressed = await client.SendAsync(Get("/compressed/big.csv"));

        Assert.Equal("big.csv.blocked.txt", firstMiB.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Contains("Files of 2 MB or more stay on the server.", await firstMiB.Content.ReadAsStringAsync());
        Assert.Equal("big.csv.blocked.txt", compressed.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Contains("Files of 2 MB or more stay on the server.", await compressed.Content.ReadAsStringAsync());
        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(2);
        Assert.All(records, r => Assert.Equal(("Download", "Block", "No large downloads"), (r.FileDirection, r.FileAction, r.SessionPolicy)));

        // Test-CasbAccess -Download -FileName big.csv -FileSizeMB 3 asks the same engine: Block.
        var engine = new CasbCore.CasbEngine(harness.Store.Load());
        AccessDecision session = engine.Decide(new AccessRequest { AppName = GatewayHarness.AppName, UserAgent = Edge });
        Assert.Equal(FileAction.Block, engine.DecideFile(session, new FileTransfer(FileTransferDirection.Download, "big.csv", file.Length)).Action);
    }
}
