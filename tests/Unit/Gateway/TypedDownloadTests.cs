using System.Net;
using CasbCore.Activity;
using CasbCore.Model;
using CasbCore.Policies;
using CasbGateway.SessionControl;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Downloads a browser names by their Content-Type: a URL or a Content-Disposition name without an extension is saved
/// with the type's (Chromium: /download?id=5 as application/x-msdownload is download.exe), so an extension policy decides
/// that name too, and Test-CasbAccess -ContentType asks the engine the same question.
/// </summary>
public sealed class TypedDownloadTests
{
    private const string Edge = Policies.PolicyTestData.Edge;

    private static readonly SessionPolicyEntry NoExecutables = new()
    {
        Name = "No executables",
        ControlType = SessionControlType.ControlFileDownload,
        Action = SessionPolicyAction.Block,
        FileExtensions = ["exe", "xlsx", "zip"],
        BlockMessage = "Programs stay on the server.",
    };

    private static Action<CasbConfiguration> CustomPolicy(params SessionPolicyEntry[] policies) => c =>
    {
        c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Everyone via App Control",
            IncludeUsers = ["All"],
            SessionControl = SessionControlKind.AppControl,
            AppControlMode = AppControlMode.UseCustomPolicy,
        });
        c.SessionPolicies.AddRange(policies);
    };

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path) { Headers = { { "User-Agent", Edge } } };

    [Theory]
    [InlineData("/download?id=5", "application/x-msdownload", null, "download.exe", "download.exe.blocked.txt")]
    [InlineData("/files/5/content", "application/zip; charset=binary", null, "content.zip", "content.zip.blocked.txt")]
    [InlineData("/get.php?id=5", "APPLICATION/X-MSDOWNLOAD", null, "get.exe", "get.php.blocked.txt")]
    [InlineData("/files/5", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment; filename=\"report\"", "report.xlsx", "report.blocked.txt")]
    [InlineData("/files/5", null, null, "5.zip", "5.blocked.txt")] // undeclared: the browser may sniff it into a zip
    public async Task A_file_the_browser_names_by_its_type_is_blocked_under_that_name(
        string path, string? contentType, string? disposition, string recorded, string savedAs)
    {
        await using var upstream = await FileUpstream.StartAsync(context =>
        {
            if (contentType is not null)
            {
                context.Response.Headers.ContentType = contentType;
            }

            if (disposition is not null)
            {
                context.Response.Headers.ContentDisposition = disposition;
            }

            return context.Response.Body.WriteAsync("PK-secret"u8.ToArray()).AsTask();
        });
        await using GatewayHarness harness = await GatewayHarness.StartAsync(CustomPolicy(NoExecutables), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage download = await client.SendAsync(Get(path));
        string body = await download.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.True(savedAs == download.Content.Headers.ContentDisposition?.FileNameStar, download.ToString() + body);
        Assert.Equal(savedAs, download.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Contains("Programs stay on the server.", body);
        Assert.DoesNotContain("PK-secret", body);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Download", "Block", "No executables", recorded), (record.FileDirection, record.FileAction, record.SessionPolicy, record.FileName));
    }

    [Theory]
    [InlineData("text/html; charset=utf-8")]
    [InlineData("application/json")]
    [InlineData("image/png")]
    [InlineData("text/javascript")]
    [InlineData(null)] // undeclared, but X-Content-Type-Options: nosniff: the browser shows it as text/plain
    public async Task Pages_and_API_calls_are_not_downloads(string? contentType)
    {
        await using var upstream = await FileUpstream.StartAsync(context =>
        {
            if (contentType is not null)
            {
                context.Response.Headers.ContentType = contentType;
            }

            context.Response.Headers.XContentTypeOptions = "nosniff";
            return context.Response.Body.WriteAsync("page-body"u8.ToArray()).AsTask();
        });
        var everything = new SessionPolicyEntry
        {
            Name = "Every download",
            ControlType = SessionControlType.ControlFileDownload,
            Action = SessionPolicyAction.Block,
        };
        await using GatewayHarness harness = await GatewayHarness.StartAsync(CustomPolicy(everything), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage page = await client.SendAsync(Get("/api/items?id=5"));

        Assert.Equal("page-body", await page.Content.ReadAsStringAsync());
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Null(record.FileAction);
    }

    // A body of no declared type is sniffed by the browser (unless nosniff): saved when binary, as a zip, a gzip or a PDF by
    // its magic number. It is a download when a policy names one of those names; a success with a body only.
    [Theory]
    [InlineData(null, null, 200, "zip", true)]
    [InlineData("unknown/unknown", null, 200, "gz", true)]
    [InlineData("*/*", null, 200, "pdf", true)]
    [InlineData("text", null, 200, "zip", true)]
    [InlineData(null, null, 200, "exe", false)]
    [InlineData(null, "nosniff", 200, "zip", false)]
    [InlineData(null, null, 204, "zip", false)]
    [InlineData(null, null, 404, "zip", false)]
    [InlineData("application/octet-stream", null, 500, null, false)]
    public async Task A_response_of_an_undeclared_type_the_browser_sniffs_is_a_download_under_the_names_it_may_get(
        string? contentType, string? options, int status, string? extension, bool download)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new StreamContent(new MemoryStream([1, 2])) };
        if (contentType is not null)
        {
            response.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        if (options is not null)
        {
            response.Headers.TryAddWithoutValidation("X-Content-Type-Options", options);
        }

        SessionControls? controls = null;
        if (extension is not null)
        {
            await using GatewayHarness harness = await GatewayHarness.StartAsync(CustomPolicy(new SessionPolicyEntry
            {
                Name = "No " + extension,
                ControlType = SessionControlType.ControlFileDownload,
                Action = SessionPolicyAction.Block,
                FileExtensions = [extension],
            }));
            var engine = new CasbCore.CasbEngine(harness.Store.Load());
            controls = engine.Decide(new AccessRequest { AppName = GatewayHarness.AppName, UserAgent = Edge }).SessionControls;
        }

        DownloadFile? file = DownloadDetector.DownloadOf(response, RequestPath.Parse("/export"), controls);

        Assert.Equal(download, file is not null);
        if (file is not null)
        {
            Assert.Equal(["export", "export.zip", "export.gz", "export.pdf"], file.Names);
        }
    }

    [Fact]
    public void A_page_costs_the_download_detector_no_allocation()
    {
        using var page = new HttpResponseMessage { Content = new StreamContent(Stream.Null) };
        page.Content.Headers.TryAddWithoutValidation("Content-Type", "text/html; charset=utf-8");
        RequestPath path = RequestPath.Parse("/app/dashboard");
        Assert.Null(DownloadDetector.DownloadOf(page, path, null)); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            DownloadDetector.DownloadOf(page, path, null);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Every_type_name_and_disposition_is_decided_under_the_name_the_browser_saves_and_the_what_if_agrees()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(CustomPolicy());
        var engine = new CasbCore.CasbEngine(harness.Store.Load());
        string[] urlNames = ["5", "content", "get.php", "report.txt", "setup.exe", "q3%2Exlsx"];
        string?[] dispositions = [null, "attachment", "attachment; filename=\"{0}\"", "inline; filename={0}"];
        int checkedCount = 0;
        foreach (DownloadContentTypes.Entry type in DownloadContentTypes.All)
        {
            foreach (string extension in type.Extensions.Take(1))
            {
                // A policy that blocks exactly this type's preferred extension: the name the browser gives the file.
                var configuration = harness.Store.Load();
                configuration.SessionPolicies.Clear();
                configuration.SessionPolicies.Add(new SessionPolicyEntry
                {
                    Name = "No " + extension,
                    ControlType = SessionControlType.ControlFileDownload,
                    Action = SessionPolicyAction.Block,
                    FileExtensions = [extension],
                });
                configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
                {
                    Name = "Everyone via App Control",
                    IncludeUsers = ["All"],
                    SessionControl = SessionControlKind.AppControl,
                    AppControlMode = AppControlMode.UseCustomPolicy,
                });
                engine = new CasbCore.CasbEngine(configuration);
                AccessDecision session = engine.Decide(new AccessRequest { AppName = GatewayHarness.AppName, UserAgent = Edge });
                Assert.NotNull(session.SessionControls);

                foreach (string urlName in urlNames)
                {
                    foreach (string? disposition in dispositions)
                    {
                        foreach (string spelling in new[] { type.MediaType, type.MediaType.ToUpperInvariant() + "; charset=\"x\"" })
                        {
                            using var response = new HttpResponseMessage { Content = new ByteArrayContent([1, 2]) };
                            response.Content.Headers.TryAddWithoutValidation("Content-Type", spelling);
                            string nameInHeader = urlName.Replace("%2E", ".", StringComparison.Ordinal) + "-stem";
                            if (disposition is not null)
                            {
                                response.Content.Headers.TryAddWithoutValidation("Content-Disposition", string.Format(System.Globalization.CultureInfo.InvariantCulture, disposition, nameInHeader));
                            }

                            DownloadFile? download = DownloadDetector.DownloadOf(response, RequestPath.Parse("/files/" + urlName), session.SessionControls);
                            string what = $"{spelling} at /files/{urlName} with {disposition ?? "no disposition"}";
                            Assert.True(download is not null, $"{what} is not a download");
                            FileDecision gateway = FileDecisions.Strictest(f => engine.DecideFile(session, f), FileTransferDirection.Download, download.Names, download.SizeBytes);
                            Assert.True(gateway.Action == FileAction.Block, $"{what}: {string.Join(", ", download.Names)} allowed");

                            // Test-CasbAccess -Download -FileName <the name it is sent under> -ContentType <type> answers the same.
                            string sentAs = disposition is not null && disposition.Contains("filename", StringComparison.Ordinal) ? nameInHeader : urlName;
                            FileDecision whatIf = engine.DecideFile(session, new FileTransfer(FileTransferDirection.Download, sentAs, 2, spelling));
                            Assert.True(whatIf.Action == FileAction.Block, $"the what-if of {what} allowed {sentAs}");
                            checkedCount++;
                        }
                    }
                }
            }
        }

        Assert.True(checkedCount > 500, $"{checkedCount} cases");
    }
}
