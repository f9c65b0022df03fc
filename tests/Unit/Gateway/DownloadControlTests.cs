using System.Net;
using System.Net.Http.Headers;
using CasbCore.Activity;
using CasbCore.Model;
using CasbCore.Policies;

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
    public async Task BlockDownloads_answers_a_download_with_the_block_page_and_none_of_the_file_and_lets_pages_through()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(Mode(AppControlMode.BlockDownloads));
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage download = await client.SendAsync(Get("/download/q3.xlsx?bytes=5000"));
        string body = await download.Content.ReadAsStringAsync();
        using HttpResponseMessage page = await client.SendAsync(Get("/"));

        Assert.Equal(HttpStatusCode.Forbidden, download.StatusCode);
        Assert.Contains($"Downloads from {GatewayHarness.AppName} are blocked by your organization", body);
        Assert.DoesNotContain("xxxxxxxx", body);
        Assert.Null(download.Content.Headers.ContentDisposition);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        ActivityRecord record = (await harness.WaitForActivityAsync(2)).Single(r => r.Path!.StartsWith("/download", StringComparison.Ordinal));
        Assert.Equal(("Block", 403, "Download", "q3.xlsx", "Block"), (record.Action, record.HttpStatus, record.FileDirection, record.FileName, record.FileAction));
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

        Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
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

        FileTransfer? download = CasbGateway.SessionControl.DownloadDetector.DownloadOf(response);

        Assert.NotNull(download);
        Assert.Equal(name, download.FileName);
        Assert.Equal(3, download.SizeBytes);
    }

    [Fact]
    public void A_page_or_an_inline_disposition_without_a_name_is_not_a_download()
    {
        using var page = new HttpResponseMessage { Content = new StringContent("<html/>") };
        using var inline = new HttpResponseMessage { Content = new StringContent("x") };
        inline.Content.Headers.ContentDisposition = new ContentDispositionHeaderValue("inline");

        Assert.Null(CasbGateway.SessionControl.DownloadDetector.DownloadOf(page));
        Assert.Null(CasbGateway.SessionControl.DownloadDetector.DownloadOf(inline));
    }
}
