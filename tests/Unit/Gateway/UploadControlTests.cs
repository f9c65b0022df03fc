using System.Net;
using System.Net.Http.Headers;
using CasbCore.Activity;
using CasbCore.Model;

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
        using HttpClient client = harness.CreateClient();

        using HttpResponseMessage response = await client.SendAsync(Upload("notes.txt", 50_000));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, harness.UpstreamRequests);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal("Client", record.ErrorSource);
    }
}
