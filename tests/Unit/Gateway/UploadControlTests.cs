using System.Net;
using System.Net.Http.Headers;
using CasbCore.Activity;
using CasbCore.Model;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>Session control of uploads at the gateway: multipart file parts decided by the engine before forwarding.</summary>
public sealed class UploadControlTests
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

    private static HttpRequestMessage Upload(string fileName, int bytes)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent("a note"), "note" },
            { new ByteArrayContent(new byte[bytes]), "file", fileName },
        };
        return new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = form, Headers = { { "User-Agent", Edge } } };
    }

    private static readonly SessionPolicyEntry NoExecutables = new()
    {
        Name = "No executables",
        ControlType = SessionControlType.ControlFileUpload,
        Action = SessionPolicyAction.Block,
        FileExtensions = ["exe"],
        BlockMessage = "Executables cannot be uploaded.",
    };

    [Fact]
    public async Task A_blocked_upload_gets_the_block_page_and_never_reaches_the_upstream()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables));
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(Upload("setup.EXE", 300_000));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Executables cannot be uploaded.", body);
        Assert.Equal(0, harness.UpstreamRequests);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Block", "Upload", "setup.EXE", "Block", "No executables"), (record.Action, record.FileDirection, record.FileName, record.FileAction, record.SessionPolicy));
        Assert.Null(record.FileSizeBytes); // refused at its headers, before any of it arrived
    }

    [Fact]
    public async Task An_allowed_upload_reaches_the_upstream_whole()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables));
        using HttpClient client = harness.CreateClient();
        using HttpRequestMessage request = Upload("notes.txt", 300_000);
        long sent = (await request.Content!.ReadAsByteArrayAsync()).Length;

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"Received {sent} bytes\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MonitorOnly_records_an_upload_and_lets_it_through()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.MonitorOnly));
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(Upload("plan.docx", 10));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Monitor", "Upload", "plan.docx", "Audit"), (record.Action, record.FileDirection, record.FileName, record.FileAction));
    }

    [Fact]
    public async Task A_body_that_names_its_file_in_a_header_is_an_upload_too()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables));
        using HttpClient client = harness.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Put, "/upload") { Content = new ByteArrayContent(new byte[10]), Headers = { { "User-Agent", Edge } } };
        request.Content.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = "tool.exe" };

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, harness.UpstreamRequests);
    }

    [Fact]
    public async Task An_upload_over_the_body_limit_is_the_clients_413_not_a_failed_closed_block()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables), maxRequestBodySize: 10_000);

        using HttpRequestMessage upload = Upload("notes.txt", 50_000);
        RawResponse response = await RawHttps.SendStartOfUploadAsync(harness.GatewayUrl.Port, upload, 8 * 1024);

        Assert.Equal(413, response.Status);
        Assert.Equal(0, harness.UpstreamRequests);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal("Client", record.ErrorSource);
    }
    private static readonly SessionPolicyEntry NoLargeUploads = new()
    {
        Name = "No large uploads",
        ControlType = SessionControlType.ControlFileUpload,
        Action = SessionPolicyAction.Block,
        MinFileSizeMB = 2,
        BlockMessage = "Files of 2 MB or more stay on the device.",
    };

    private static HttpRequestMessage Raw(string contentType, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = content, Headers = { { "User-Agent", Edge } } };
    }

    private static byte[] Filled(int bytes, byte value)
    {
        byte[] data = new byte[bytes];
        Array.Fill(data, value);
        return data;
    }

    [Fact]
    public async Task A_blocked_later_part_never_reaches_the_upstream_which_gets_an_aborted_request_and_the_user_the_block_page()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables));
        using HttpClient client = harness.CreateClient();
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Filled(3_000_000, (byte)'a')), "first", "notes.txt" },
            { new ByteArrayContent(Filled(3_000_000, (byte)'Z')), "second", "setup.exe" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = form, Headers = { { "User-Agent", Edge } } };

        using HttpResponseMessage response = await client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Executables cannot be uploaded.", body);
        UpstreamBody received = Assert.Single(await harness.WaitForUpstreamBodiesAsync(1));
        Assert.False(received.Complete, "the upstream must never see the request end normally");
        Assert.DoesNotContain((byte)'Z', received.Head);
        Assert.Equal(-1, received.Head.AsSpan().IndexOf("setup.exe"u8));
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Block", 403, "Upload", "setup.exe", "Block", "No executables"),
            (record.Action, record.HttpStatus, record.FileDirection, record.FileName, record.FileAction, record.SessionPolicy));
        Assert.Null(record.ErrorSource);
    }

    [Fact]
    public async Task Several_allowed_files_reach_the_upstream_byte_for_byte_and_the_record_names_a_file()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables));
        using HttpClient client = harness.CreateClient();
        byte[] first = new byte[2_500_000];
        byte[] second = new byte[1_500_000];
        new Random(7).NextBytes(first);
        new Random(8).NextBytes(second);
        var form = new MultipartFormDataContent
        {
            { new StringContent("a note"), "note" },
            { new ByteArrayContent(first), "a", "q3.xlsx" },
            { new ByteArrayContent(second), "b", "photo.jpg" },
        };
        byte[] sent = await form.ReadAsByteArrayAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = form, Headers = { { "User-Agent", Edge } } };

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        UpstreamBody received = Assert.Single(await harness.WaitForUpstreamBodiesAsync(1));
        Assert.True(received.Complete);
        Assert.Equal(sent, received.Head);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Allow", "Upload", "Allow"), (record.Action, record.FileDirection, record.FileAction));
        Assert.Contains(record.FileName, new[] { "q3.xlsx", "photo.jpg" });
    }

    [Fact]
    public async Task A_size_filter_blocks_a_file_as_it_reaches_the_size_and_the_upstream_gets_less_than_that()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoLargeUploads));
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage small = await client.SendAsync(Upload("small.bin", 1_500_000));
        using HttpResponseMessage large = await client.SendAsync(Upload("large.bin", 5_000_000));

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, large.StatusCode);
        Assert.Contains("Files of 2 MB or more stay on the device.", await large.Content.ReadAsStringAsync());
        IReadOnlyList<UpstreamBody> bodies = await harness.WaitForUpstreamBodiesAsync(2);
        UpstreamBody aborted = Assert.Single(bodies, b => !b.Complete);
        Assert.True(aborted.Total < 2 * 1024 * 1024, $"the upstream got {aborted.Total} bytes of a file blocked at 2 MiB");
        ActivityRecord record = (await harness.WaitForActivityAsync(2)).Single(r => r.FileName == "large.bin");
        Assert.Equal(("Block", "No large uploads"), (record.FileAction, record.SessionPolicy));
        Assert.True(record.FileSizeBytes >= 2 * 1024 * 1024);

        // The what-if (Test-CasbAccess -Upload -FileName -FileSizeMB) asks the same engine the same question.
        var engine = new CasbCore.CasbEngine(harness.Store.Load());
        CasbCore.Policies.AccessDecision session = engine.Decide(new CasbCore.Policies.AccessRequest { AppName = GatewayHarness.AppName, UserAgent = Edge });
        Assert.Equal(CasbCore.Policies.FileAction.Allow, engine.DecideFile(session, new CasbCore.Policies.FileTransfer(CasbCore.Policies.FileTransferDirection.Upload, "small.bin", 1_500_000)).Action);
        Assert.Equal(CasbCore.Policies.FileAction.Block, engine.DecideFile(session, new CasbCore.Policies.FileTransfer(CasbCore.Policies.FileTransferDirection.Upload, "large.bin", 5_000_000)).Action);
    }

    // Two Block policies: every .exe (low severity) and every file of 2 MB or more (high). A .exe of 3 MB is blocked at
    // any size, and the gateway blocked it at its headers naming the .exe policy (its answer at size 0), while
    // Test-CasbAccess -Upload -FileSizeMB 3 names the 2 MB policy: the user saw another policy's message than the
    // what-if predicts. Now the part is read and dropped (nothing of it reaches the upstream) until its size settles
    // which policy blocks it; a .exe that ends below 2 MB is blocked by the .exe policy.
    [Theory]
    [InlineData(3_000_000, "No large uploads")]
    [InlineData(1_500_000, "No executables")]
    [InlineData(10, "No executables")]
    public async Task A_file_blocked_at_every_size_is_blocked_by_the_policy_the_engine_gives_at_its_size(int bytes, string expected)
    {
        SessionPolicyEntry noExecutables = new() { Name = "No executables", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block, Severity = PolicySeverity.Low, FileExtensions = ["exe"], BlockMessage = "Executables cannot be uploaded." };
        SessionPolicyEntry noLarge = new() { Name = "No large uploads", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block, Severity = PolicySeverity.High, MinFileSizeMB = 2, BlockMessage = "Files of 2 MB or more stay on the device." };
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, noExecutables, noLarge));
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(Upload("setup.exe", bytes));
        string body = await response.Content.ReadAsStringAsync();

        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        var engine = new CasbCore.CasbEngine(harness.Store.Load());
        CasbCore.Policies.AccessDecision session = engine.Decide(new CasbCore.Policies.AccessRequest { AppName = GatewayHarness.AppName, UserAgent = Edge });
        CasbCore.Policies.FileDecision whatIf = engine.DecideFile(session, new CasbCore.Policies.FileTransfer(CasbCore.Policies.FileTransferDirection.Upload, "setup.exe", record.FileSizeBytes));
        string message = expected == "No executables" ? "Executables cannot be uploaded." : "Files of 2 MB or more stay on the device.";

        Assert.Equal((HttpStatusCode.Forbidden, "Block", "Block", expected), (response.StatusCode, record.Action, record.FileAction, record.SessionPolicy));
        Assert.Contains(message, body);
        Assert.Equal((CasbCore.Policies.FileAction.Block, expected, message), (whatIf.Action, whatIf.Policy, whatIf.BlockMessage));
        Assert.Equal(0, harness.UpstreamRequests); // the file is the form's first: refused before the upstream is contacted
        if (bytes < 2 * 1024 * 1024)
        {
            Assert.Equal(bytes, record.FileSizeBytes); // its whole size: decided when it ended
        }
    }

    // A form whose first file is allowed and whose second is a .exe of 3 MB: the first reaches the upstream, not one byte
    // of the second, and the block names the policy the engine gives at the size the gateway read.
    [Fact]
    public async Task A_later_file_blocked_at_every_size_sends_none_of_its_bytes_upstream_while_its_size_settles_the_policy()
    {
        SessionPolicyEntry noExecutables = new() { Name = "No executables", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block, Severity = PolicySeverity.Low, FileExtensions = ["exe"], BlockMessage = "Executables cannot be uploaded." };
        SessionPolicyEntry noLarge = new() { Name = "No large uploads", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block, Severity = PolicySeverity.High, MinFileSizeMB = 2, BlockMessage = "Files of 2 MB or more stay on the device." };
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, noExecutables, noLarge));
        using HttpClient client = harness.CreateClient();
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Filled(100_000, (byte)'a')), "first", "notes.txt" },
            { new ByteArrayContent(Filled(3_000_000, (byte)'Z')), "second", "setup.exe" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = form, Headers = { { "User-Agent", Edge } } };

        using HttpResponseMessage response = await client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Files of 2 MB or more stay on the device.", body);
        UpstreamBody received = Assert.Single(await harness.WaitForUpstreamBodiesAsync(1));
        Assert.False(received.Complete);
        Assert.DoesNotContain((byte)'Z', received.Head);
        Assert.True(received.Total < 200_000, $"the upstream got {received.Total} bytes");
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Block", "setup.exe", "No large uploads"), (record.FileAction, record.FileName, record.SessionPolicy));
        Assert.True(record.FileSizeBytes >= 2 * 1024 * 1024 && record.FileSizeBytes < 3_000_000, $"recorded {record.FileSizeBytes} B");
    }

    [Theory]
    [InlineData("filename=\"setup.exe\"; filename*=UTF-8''notes.txt")] // PHP reads filename, ASP.NET filename*
    [InlineData("filename*=UTF-8''%E2%82%AC%20rates.EXE")]
    [InlineData("filename=\"setup.exe%00.txt\"")]
    [InlineData("filename=\"C:\\\\Users\\\\me\\\\setup.exe\"")]
    // Readers that search the header for filename= (formidable's /\bfilename=(...)($|;\s)/i, hand-written regexes) find
    // one inside another parameter's quoted value: the part is a file to them.
    [InlineData("filename=\"notes.txt\"; x=\"; filename=setup.exe; \"")]
    [InlineData("x=\"a; filename=setup.exe; b\"")]
    [InlineData("x=\"a filename=setup.exe; b\"")]
    [InlineData("filename=\"setup&#0046;exe\"")] // formidable and node-fetch decode &#dddd;
    [InlineData("filename=\"=?UTF-8?Q?setup.exe?=\"")] // Commons FileUpload and Python's email parser decode RFC 2047 words
    [InlineData("filename=\"=?UTF-8?B?c2V0?= =?UTF-8?B?dXAuZXhl?=\"")]
    [InlineData("filename=\"setup.exe::$DATA\"")] // NTFS: the unnamed data stream of setup.exe, written by an upstream on Windows
    public async Task A_file_is_decided_under_every_spelling_of_its_name(string parameters)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables));
        using HttpClient client = harness.CreateClient();
        byte[] body = System.Text.Encoding.UTF8.GetBytes(
            $"--b0\r\nContent-Disposition: form-data; name=\"f\"; {parameters}\r\n\r\nMZ\r\n--b0--\r\n");

        using HttpResponseMessage response = await client.SendAsync(Raw("multipart/form-data; boundary=b0", body));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, harness.UpstreamRequests);
    }

    [Theory]
    [InlineData("--b0\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nhi\n--b0\nContent-Disposition: form-data; name=\"f\"; filename=\"setup.exe\"\n\nMZ\r\n--b0--\r\n", "not at the start of a line")]
    [InlineData("--b0\r\nContent-Disposition: form-data; name=\"f\"; filename*0=\"setup\"; filename*1=\".exe\"\r\n\r\nMZ\r\n--b0--\r\n", "filename*0")]
    [InlineData("--b0\r\nContent-Disposition: form-data; name=\"f\"\r\nContent-Disposition: form-data; name=\"f\"; filename=\"setup.exe\"\r\n\r\nMZ\r\n--b0--\r\n", "two Content-Disposition")]
    [InlineData("--b0\r\nContent-Disposition: form-data; name=\"f\";\r\n filename=\"setup.exe\"\r\n\r\nMZ\r\n--b0--\r\n", "folded")]
    [InlineData("--b0\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nok\r\n--b0--\r\n--b0\r\nContent-Disposition: form-data; name=\"f\"; filename=\"setup.exe\"\r\n\r\nMZ\r\n--b0--\r\n", "epilogue")]
    public async Task A_body_two_parsers_could_read_differently_is_refused_with_400_and_never_completes_upstream(string body, string problem)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables));
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(Raw("multipart/form-data; boundary=b0", System.Text.Encoding.UTF8.GetBytes(body)));
        string page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("upload_malformed", page);
        Assert.Contains(problem, page);
        Assert.All(harness.UpstreamBodies, b => Assert.False(b.Complete));
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal((400, "Client"), (record.HttpStatus, record.ErrorSource));
        Assert.Contains(problem, record.Error);
    }

    [Fact]
    public async Task A_report_only_App_Control_policy_records_but_neither_blocks_nor_replaces_uploads_or_downloads()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
            {
                Name = "Report-only downloads",
                State = ConditionalAccessState.ReportOnly,
                IncludeUsers = ["All"],
                SessionControl = SessionControlKind.AppControl,
                AppControlMode = AppControlMode.BlockDownloads,
            });
            c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
            {
                Name = "Report-only custom",
                State = ConditionalAccessState.ReportOnly,
                IncludeUsers = ["All"],
                SessionControl = SessionControlKind.AppControl,
                AppControlMode = AppControlMode.UseCustomPolicy,
            });
            c.SessionPolicies.Add(NoExecutables);
        });
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage upload = await client.SendAsync(Upload("setup.exe", 100_000));
        using HttpResponseMessage download = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/download/q3.xlsx?bytes=300000") { Headers = { { "User-Agent", Edge } } });
        byte[] file = await download.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.True(Assert.Single(await harness.WaitForUpstreamBodiesAsync(1)).Complete);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("q3.xlsx", download.Content.Headers.ContentDisposition?.FileNameStar ?? download.Content.Headers.ContentDisposition?.FileName);
        Assert.Equal(Filled(300_000, (byte)'x'), file);
        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(2);
        Assert.Equal(2, records.Count);
        Assert.All(records, r =>
        {
            Assert.Null(r.FileAction);
            Assert.NotEqual("Block", r.Action);
            Assert.Contains(r.ConditionalAccess, c => c.Policy == "Report-only downloads" && c.Outcome.Contains("ReportOnly", StringComparison.Ordinal));
        });
    }

    // ASP.NET Core's Request.Form, Rack, Werkzeug and multer read a multipart body whatever the method: an endpoint mapped
    // for any method (app.Map, app.all) takes the file from a DELETE or a made-up method as from a POST.
    [Theory]
    [InlineData("DELETE")]
    [InlineData("OPTIONS")]
    [InlineData("GET")]
    [InlineData("PROPPATCH")]
    [InlineData("post")]
    public async Task A_multipart_body_is_decided_whatever_the_method_that_carries_it(string method)
    {
        await using var upstream = await FileUpstream.StartAsync(async context =>
        {
            IFormCollection form = await context.Request.ReadFormAsync();
            await context.Response.WriteAsync("upstream stored " + string.Join(",", form.Files.Select(f => f.FileName)));
        });
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();
        using HttpRequestMessage request = Upload("setup.exe", 100);
        request.Method = new HttpMethod(method);

        using HttpResponseMessage response = await client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("upstream stored setup.exe", body);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Block", "Upload", "setup.exe"), (record.Action, record.FileDirection, record.FileName));
    }

    private static byte[] Gzip(byte[] data)
    {
        using var packed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return packed.ToArray();
    }

    // An upstream that decompresses request bodies (ASP.NET Core's UseRequestDecompression, Apache's mod_deflate input
    // filter) reads what the gateway never saw: gzip stops at the end of its stream, so what follows (an innocent form
    // the gateway parses) is dropped.
    [Fact]
    public async Task A_compressed_multipart_body_is_refused_since_the_gateway_cannot_see_the_parts_the_upstream_reads()
    {
        await using var upstream = await FileUpstream.StartAsync(
            async context =>
            {
                IFormCollection form = await context.Request.ReadFormAsync();
                await context.Response.WriteAsync("upstream stored " + string.Join(",", form.Files.Select(f => f.FileName)));
            },
            decompressRequests: true);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();
        byte[] hidden = Gzip(System.Text.Encoding.ASCII.GetBytes(
            "--b0\r\nContent-Disposition: form-data; name=\"f\"; filename=\"setup.exe\"\r\n\r\nMZ\r\n--b0--\r\n"));
        byte[] shown = System.Text.Encoding.ASCII.GetBytes("\r\n--b0\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--b0--\r\n");
        using HttpRequestMessage request = Raw("multipart/form-data; boundary=b0", [.. hidden, .. shown]);
        request.Content!.Headers.ContentEncoding.Add("gzip");

        using HttpResponseMessage response = await client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("upstream stored setup.exe", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("upload_malformed", body);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal((400, "Client"), (record.HttpStatus, record.ErrorSource));
    }

    [Fact]
    public async Task A_compressed_body_that_names_its_file_is_of_unknown_size_so_a_size_filter_blocks_it()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoLargeUploads));
        using HttpClient client = harness.CreateClient();
        // 5 MB of zeros: a few KiB on the wire, 5 MB to an upstream that decompresses it.
        var request = new HttpRequestMessage(HttpMethod.Put, "/upload") { Content = new ByteArrayContent(Gzip(new byte[5_000_000])), Headers = { { "User-Agent", Edge } } };
        request.Content.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = "large.bin" };
        request.Content.Headers.ContentEncoding.Add("gzip");

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Files of 2 MB or more stay on the device.", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, harness.UpstreamRequests);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Block", "large.bin", "No large uploads"), (record.FileAction, record.FileName, record.SessionPolicy));
        Assert.Null(record.FileSizeBytes);
    }

    // A PUT stores its body at its URL (RFC 9110): WebDAV (Nextcloud's web uploads, SharePoint), S3, and many APIs take a
    // file this way, without multipart or a Content-Disposition. The URL names the file, as it does for a download.
    [Theory]
    [InlineData(null)]
    [InlineData("attachment; filename=\"notes.txt\"")]
    public async Task A_PUT_of_a_file_to_a_URL_whose_extension_a_policy_names_is_an_upload_of_that_file(string? disposition)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables));
        using HttpClient client = harness.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Put, "/dav/files/me/setup.EXE") { Content = new ByteArrayContent("MZ"u8.ToArray()), Headers = { { "User-Agent", Edge } } };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (disposition is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Disposition", disposition);
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        using HttpResponseMessage other = await client.SendAsync(
            new HttpRequestMessage(HttpMethod.Put, "/dav/files/me/notes.txt") { Content = new ByteArrayContent("hi"u8.ToArray()), Headers = { { "User-Agent", Edge } } });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Executables cannot be uploaded.", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(1, harness.UpstreamRequests);
        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(2);
        ActivityRecord blocked = records.Single(r => r.HttpStatus == 403);
        Assert.Equal(("Block", "Upload", "setup.EXE", "No executables", 2L), (blocked.FileAction, blocked.FileDirection, blocked.FileName, blocked.SessionPolicy, blocked.FileSizeBytes));
    }

    // WebDAV stores a file under a MOVE's or COPY's Destination: Nextcloud's web client uploads every large file as
    // chunks PUT to numbered URLs, then MOVEs them to the file's name; any client can PUT notes.txt and MOVE it to
    // setup.exe. The Destination names the file as a PUT's URL does, whatever the Content-Length (a MOVE has no body).
    [Theory]
    [InlineData("MOVE", "/dav/files/me/setup.EXE", null)]
    [InlineData("COPY", "https://portal.contoso.local/dav/files/me/setup.exe", "0")]
    [InlineData("MOVE", "/dav/files/me/setup.exe;v=1", null)]
    public async Task A_MOVE_or_COPY_to_a_name_a_policy_names_is_an_upload_of_that_file(string method, string destination, string? contentLength)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.UseCustomPolicy, NoExecutables));
        using HttpClient client = harness.CreateClient();
        var request = new HttpRequestMessage(new HttpMethod(method), "/dav/uploads/me/42/.file") { Headers = { { "User-Agent", Edge } } };
        request.Headers.TryAddWithoutValidation("Destination", destination);
        if (contentLength is not null)
        {
            request.Content = new ByteArrayContent([]);
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        var rename = new HttpRequestMessage(new HttpMethod(method), "/dav/uploads/me/42/.file") { Headers = { { "User-Agent", Edge } } };
        rename.Headers.TryAddWithoutValidation("Destination", "/dav/files/me/notes.txt");
        using HttpResponseMessage other = await client.SendAsync(rename);

        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest, $"{method} to {destination} answered {response.StatusCode}");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(1, harness.UpstreamRequests);
        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(2);
        ActivityRecord refused = records.Single(r => r.HttpStatus != 200);
        if (refused.HttpStatus == 403)
        {
            Assert.Equal(("Block", "Upload", "No executables"), (refused.FileAction, refused.FileDirection, refused.SessionPolicy));
            Assert.Equal("exe", CasbCore.Policies.FileTransfer.ExtensionOf(refused.FileName));
            Assert.Null(refused.FileSizeBytes);
        }
    }
}
