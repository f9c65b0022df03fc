using System.Net;
using System.Text;
using CasbCore.Activity;
using CasbCore.Model;
using CasbCore.Policies;
using CasbGateway.SessionControl;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Raw-body uploads that name their file in a header other than Content-Disposition: X-File-Name and X-Filename (as
/// sent or percent-encoded), AtomPub's Slug, and tus's creating POST (<c>Upload-Metadata: filename &lt;base64&gt;</c>).
/// </summary>
public sealed class HeaderNamedUploadTests
{
    private const string Edge = Policies.PolicyTestData.Edge;

    private static readonly SessionPolicyEntry NoExecutables = new()
    {
        Name = "No executables",
        ControlType = SessionControlType.ControlFileUpload,
        Action = SessionPolicyAction.Block,
        FileExtensions = ["exe"],
        BlockMessage = "Executables cannot be uploaded.",
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

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    [Theory]
    [InlineData("POST", "X-File-Name", "setup.exe", "setup.exe")]
    [InlineData("POST", "X-Filename", "Q3%20setup%2Eexe", "Q3%20setup%2Eexe")] // recorded as sent; decided decoded too
    [InlineData("POST", "Slug", "setup%2Eexe", "setup%2Eexe")]
    [InlineData("POST", "Upload-Metadata", "filetype YXBwbGljYXRpb24vb2N0ZXQtc3RyZWFt,filename c2V0dXAuZXhl", "setup.exe")]
    [InlineData("PATCH", "X-File-Name", "setup.exe", "setup.exe")]
    public async Task A_raw_body_named_in_a_header_is_decided_under_that_name(string method, string header, string value, string recorded)
    {
        int reached = 0;
        await using var upstream = await FileUpstream.StartAsync(async context =>
        {
            Interlocked.Increment(ref reached);
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.StatusCode = StatusCodes.Status201Created;
        });
        await using GatewayHarness harness = await GatewayHarness.StartAsync(CustomPolicy(NoExecutables), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), "/files/") { Content = new ByteArrayContent("MZ-program"u8.ToArray()) };
        request.Headers.Add("User-Agent", Edge);
        request.Headers.TryAddWithoutValidation(header, value);
        if (header == "Upload-Metadata")
        {
            request.Headers.Add("Tus-Resumable", "1.0.0");
            request.Headers.Add("Upload-Length", "10");
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Executables cannot be uploaded.", body);
        Assert.Equal(0, Volatile.Read(ref reached));
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Block", "Upload", "Block", "No executables"), (record.Action, record.FileDirection, record.FileAction, record.SessionPolicy));
        Assert.Equal(recorded, record.FileName);
    }

    [Fact]
    public async Task A_tus_upload_whose_creating_POST_names_an_allowed_file_goes_through()
    {
        int reached = 0;
        await using var upstream = await FileUpstream.StartAsync(async context =>
        {
            Interlocked.Increment(ref reached);
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.StatusCode = StatusCodes.Status201Created;
        });
        await using GatewayHarness harness = await GatewayHarness.StartAsync(CustomPolicy(NoExecutables), upstreamOverride: upstream.Url);
        using HttpClient client = harness.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/files/") { Content = new ByteArrayContent([]) };
        request.Headers.Add("User-Agent", Edge);
        request.Headers.TryAddWithoutValidation("Upload-Metadata", "filename " + Base64("notes.txt"));
        request.Headers.Add("Upload-Length", "10");

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1, Volatile.Read(ref reached));
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Upload", "notes.txt", 10L), (record.FileDirection, record.FileName, record.FileSizeBytes));
    }

    [Fact]
    public void Every_header_spelling_and_encoding_of_a_blocked_name_is_decided_under_it()
    {
        string[] names = ["setup.exe", "Q3 setup.exe", "r\u00e9sum\u00e9.exe", "a;b.exe"];
        Func<string, string>[] encodings =
        [
            n => n,
            Uri.EscapeDataString,
            n => n.Replace(".", "%2E", StringComparison.Ordinal),
            n => n.Replace(" ", "%20", StringComparison.Ordinal).Replace("exe", "%65xe", StringComparison.Ordinal),
        ];
        string[] headers = ["X-File-Name", "x-file-name", "X-Filename", "X-FILENAME", "Slug", "slug"];
        int count = 0;
        foreach (string name in names)
        {
            foreach (Func<string, string> encode in encodings)
            {
                foreach (string header in headers)
                {
                    if (encode(name).Any(c => c > 0x7f))
                    {
                        continue; // a header value is Latin-1 on the wire: a raw non-ASCII name is sent encoded
                    }

                    Assert.Equal(FileAction.Block, Decide(r => r.Headers[header] = encode(name)).Action);
                    count++;
                }
            }

            // tus: base64 of the UTF-8 name, under filename or name, among other keys, either case.
            foreach (string metadata in new[] { $"filename {Base64(name)}", $"filetype {Base64("x")},name {Base64(name)}", $"FileName {Base64(name)} , relativePath {Base64("a/b")}" })
            {
                Assert.Equal(FileAction.Block, Decide(r => r.Headers["Upload-Metadata"] = metadata).Action);
                count++;
            }
        }

        // A name the gateway cannot read is refused, not guessed; a header that names no file is not an upload name.
        Decide(r => r.Headers["Upload-Metadata"] = "filename !!notbase64", expectProblem: true);
        Assert.Equal(FileAction.Allow, Decide(r => r.Headers["Upload-Metadata"] = $"filetype {Base64("setup.exe")}").Action);
        Assert.True(count > 60, $"{count} cases");
    }

    private static FileDecision Decide(Action<HttpRequest> headers, bool expectProblem = false)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentLength = 10;
        headers(context.Request);
        Assert.True(UploadDetector.NamesFileInHeader(context.Request));
        FileDecision? decision = UploadDetector.DecideNamedBody(context.Request, RequestPath.Parse("/files/"), file => new FileDecision
        {
            Action = FileTransfer.ExtensionOf(file.FileName) == "exe" ? FileAction.Block : FileAction.Allow,
            Direction = file.Direction,
            FileName = file.FileName,
        }, out string? problem);
        Assert.Equal(expectProblem, problem is not null);
        return decision ?? new FileDecision { Action = FileAction.Block, Direction = FileTransferDirection.Upload };
    }
}
