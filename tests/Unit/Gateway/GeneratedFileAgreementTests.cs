using System.Net;
using System.Text;
using CasbCore.Activity;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Cmdlets;
using CasbModule.Types;
using CsCheck;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Generated session policies (modes, extensions with and without a dot in any case, size limits, client apps, users and
/// groups) and generated files (names as a browser saves them, sizes around each limit, unknown sizes) moved through a
/// real gateway as downloads (a Content-Disposition in plain, RFC 2231 and RFC 2047 form, or only the URL) and uploads
/// (multipart, and a PUT to a named URL): the client sees, and the activity log records, what Test-CasbAccess -Download
/// or -Upload -FileName -FileSizeMB answers for the same file.
/// </summary>
public sealed class GeneratedFileAgreementTests
{
    private const string Edge = Policies.PolicyTestData.Edge;
    private const string Curl = "curl/8.5.0";
    private static readonly string[] Users = ["vendor@contoso.com", "other@contoso.com"];
    private static readonly string[] Extensions = ["exe", ".EXE", "Pdf", ".xlsx", "bashrc", "gz", "TXT"];
    private static readonly int[] Megabyte = [1024 * 1024];
    private const int UnknownSizeBytes = 3000; // what a file of unknown size (chunked) holds

    // Names as browsers save them and as files on disk are named: trailing dots and spaces, several dots, none, a
    // dot-file, Unicode, characters that some reader decodes (%XX, &#dddd;, RFC 2047 words, an NTFS stream).
    private static readonly string[] Names =
    [
        "setup.exe", "Setup.EXE", "setup.exe.", "setup.exe .", "setup.exe  ", "report.final.PDF", "archive.tar.gz", "README",
        ".bashrc", "Q3 report.xlsx", "résumé.pdf", "报告.XLSX", "notes.txt", "setup.exe.txt", "setup%2Eexe", "setup&#0046;exe",
        "=?UTF-8?Q?setup.exe?=", "setup.exe::$DATA", "data.xlsx..", "%E2%82%AC rates.exe", "a.b.c", "noext.", "archive.gz:x.txt", "setup=?UTF-8?B?LmV4ZQ==?=",
    ];

    [Fact]
    public void Generated_session_policies_and_files_get_the_same_decision_from_the_gateway_and_Test_CasbAccess()
    {
        using var powerShell = new PowerShellHost();
        var seen = new Dictionary<FileAction, int>();
        string? seed = Environment.GetEnvironmentVariable("CASB_FILE_AGREEMENT_SEED");
        bool Covered() => seen.GetValueOrDefault(FileAction.Block) > 5 && seen.GetValueOrDefault(FileAction.Audit) > 5 && seen.GetValueOrDefault(FileAction.Allow) > 5;

        // Ten samples compare Allow and Audit dozens of times, but Block, the rarest, came up 3 or 4 times in about one run
        // in twenty: then another round of ten samples (up to three more), rather than a test that fails for want of
        // samples. A given seed replays its one round.
        for (int round = 0; round < 4 && (round == 0 || (seed is null && !Covered())); round++)
        {
            Gen.Select(ConfigurationGen, FileGen.Array[6, 6]).Sample(sample =>
            {
                (Action<CasbConfiguration> configure, Probe[] probes) = sample;
                var failures = new List<string>();
                FileUpstream upstream = FileUpstream.StartAsync(RespondAsync, responseHeaderEncoding: Encoding.Latin1).GetAwaiter().GetResult();
                GatewayHarness harness = GatewayHarness.StartAsync(c =>
                {
                    c.Settings.TrustedProxies.Add("127.0.0.0/8");
                    configure(c);
                }, upstreamOverride: upstream.Url).GetAwaiter().GetResult();
                try
                {
                    using HttpClient client = harness.CreateClient();
                    foreach (Probe probe in probes)
                    {
                        foreach (Transfer transfer in Enum.GetValues<Transfer>())
                        {
                            FileTransferDirection direction = transfer is Transfer.Disposition or Transfer.Url ? FileTransferDirection.Download : FileTransferDirection.Upload;
                            if (transfer is Transfer.Url or Transfer.Put && !UrlCanName(probe.Name))
                            {
                                continue; // a URL cannot end in a name with a '%', a '#', a trailing dot or space: the gateway refuses it with 400
                            }

                            // A multipart part's size is known once it has streamed: the gateway decides it at its end by its bytes.
                            Probe asked = transfer == Transfer.Multipart ? probe with { SizeBytes = probe.SizeBytes ?? UnknownSizeBytes } : probe;
                            // The upstream declares no Content-Type: a file at a URL is then what the browser sniffs (-ContentType '').
                            CasbAccessDecision whatIf = WhatIf(powerShell, harness, asked, direction, transfer == Transfer.Url ? "" : null);
                            (HttpStatusCode status, string body, bool blockedFile, ActivityRecord record) = Send(client, harness, probe, transfer);
                            string what = $"{transfer} of {probe} under [{Describe(harness.Store.Load())}]";

                            // Without a Content-Disposition only a name whose extension a policy of the session names is a file
                            // to the gateway (a URL ending in .html is a page); the what-if is asked about a file.
                            bool undetected = record.FileAction is null && transfer is Transfer.Url or Transfer.Put;
                            if (undetected)
                            {
                                if (whatIf.FileAction == FileAction.Block && (transfer == Transfer.Put || NamesExtension(harness, probe, direction)))
                                {
                                    failures.Add($"{what}: what-if Block ({whatIf.BlockingPolicy}), gateway let it through undecided");
                                }

                                continue;
                            }

                            string gatewayAction = record.FileAction ?? "none";
                            if (gatewayAction != whatIf.FileAction?.ToString()
                                || record.SessionPolicy != whatIf.File?.Policy)
                            {
                                failures.Add($"{what}: what-if {whatIf.FileAction} ({whatIf.File?.Policy}), gateway {gatewayAction} ({record.SessionPolicy}) [{record.FileName}, {record.FileSizeBytes} B]");
                                continue;
                            }

                            bool blocked = whatIf.FileAction == FileAction.Block;
                            HttpStatusCode expected = blocked && direction == FileTransferDirection.Upload ? HttpStatusCode.Forbidden : HttpStatusCode.OK;
                            // A blocked download is saved as <name>.blocked.txt with the message; a blocked upload gets the 403 block page.
                            if (status != expected
                                || (blocked && !body.Contains(whatIf.BlockMessage!, StringComparison.Ordinal))
                                || blockedFile != (blocked && direction == FileTransferDirection.Download)
                                || (!blocked && direction == FileTransferDirection.Upload && body != "ok"))
                            {
                                failures.Add($"{what}: what-if {whatIf.FileAction} '{whatIf.BlockMessage}', the client saw {(int)status}: {body[..Math.Min(body.Length, 300)]}");
                                continue;
                            }

                            seen[whatIf.FileAction!.Value] = seen.GetValueOrDefault(whatIf.FileAction!.Value) + 1;
                        }
                    }
                }
                finally
                {
                    harness.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    upstream.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }

                // Thrown per sample, so that CsCheck names the seed that reproduces it (CASB_FILE_AGREEMENT_SEED) and
                // looks for a smaller failing sample in the iterations left.
                Assert.True(failures.Count == 0, $"{failures.Count} disagreements:\n{string.Join("\n", failures.Distinct().Take(40))}");
            }, iter: 10, threads: 1, seed: seed);
        }

        // Not vacuous: every outcome was compared.
        Assert.True(Covered(), string.Join(", ", seen.Select(s => $"{s.Key} {s.Value}")));
    }

    // Names a reader stores as setup.exe: the gateway blocks their upload, and Test-CasbAccess -FileName answered Allow for them.
    [Theory]
    [InlineData("setup%2Eexe")]
    [InlineData("setup.exe::$DATA")]
    [InlineData("setup&#0046;exe")]
    [InlineData("=?UTF-8?Q?setup.exe?=")]
    [InlineData("setup.exe\u0000.txt")]
    public async Task A_name_that_some_reader_stores_as_another_is_decided_alike_by_Test_CasbAccess_and_the_gateway(string name)
    {
        name = System.Text.RegularExpressions.Regex.Unescape(name);
        var policy = new SessionPolicyEntry
        {
            Name = "No executables", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block,
            FileExtensions = [".EXE"], BlockMessage = "Executables stay on the device.",
        };
        await using GatewayHarness harness = await UnderAppControlAsync(null, policy);
        using HttpClient client = harness.CreateClient();
        using var powerShell = new PowerShellHost();
        var probe = new Probe(name, Spelling.Quoted, 10, null, Browser: true);

        (HttpStatusCode status, string body, _, ActivityRecord record) = Send(client, harness, probe, Transfer.Multipart);
        CasbAccessDecision whatIf = WhatIf(powerShell, harness, probe, FileTransferDirection.Upload);

        Assert.Equal((HttpStatusCode.Forbidden, "Block", "No executables"), (status, record.FileAction, record.SessionPolicy));
        Assert.Contains("Executables stay on the device.", body);
        Assert.Equal((AccessAction.Block, FileAction.Block, "No executables", "Executables stay on the device."), (whatIf.Action, whatIf.FileAction, whatIf.BlockingPolicy, whatIf.BlockMessage));
    }

    // A policy with no extension filter blocks every upload: a PUT to /files/<name> stores a file, which the gateway let
    // through undecided (only a named extension made a PUT an upload) while Test-CasbAccess -Upload answered Block.
    [Theory]
    [InlineData("notes.txt")]
    [InlineData("README")]
    [InlineData("setup.exe")]
    public async Task A_PUT_of_a_named_file_under_a_policy_that_blocks_every_upload_is_blocked_as_Test_CasbAccess_says(string name)
    {
        var policy = new SessionPolicyEntry
        {
            Name = "No uploads", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block,
            BlockMessage = "Files stay on the device.",
        };
        await using GatewayHarness harness = await UnderAppControlAsync(null, policy);
        using HttpClient client = harness.CreateClient();
        using var powerShell = new PowerShellHost();
        var probe = new Probe(name, Spelling.Quoted, 5000, null, Browser: true);

        (HttpStatusCode status, string body, _, ActivityRecord record) = Send(client, harness, probe, Transfer.Put);
        CasbAccessDecision whatIf = WhatIf(powerShell, harness, probe, FileTransferDirection.Upload);

        Assert.Equal((AccessAction.Block, "No uploads"), (whatIf.Action, whatIf.BlockingPolicy));
        Assert.Equal((HttpStatusCode.Forbidden, "Upload", "Block", "No uploads"), (status, record.FileDirection, record.FileAction, record.SessionPolicy));
        Assert.Contains("Files stay on the device.", body);
        Assert.Equal(0, harness.UpstreamRequests);
    }

    // An empty body is a file too: a PUT of no bytes creates an empty setup.exe, and so may a request that names its
    // file in a Content-Disposition. The gateway took only a request that could have a body for an upload, so both
    // passed a .exe Block policy undecided while Test-CasbAccess -Upload -FileSizeMB 0 answered Block (a generated
    // sample found it in CI).
    [Theory]
    [InlineData("setup.exe", false)]
    [InlineData("setup=?UTF-8?B?LmV4ZQ==?=", false)]
    [InlineData("setup.exe", true)]
    public async Task An_upload_of_no_bytes_is_decided_as_Test_CasbAccess_decides_a_file_of_size_0(string name, bool disposition)
    {
        await using GatewayHarness harness = await UnderAppControlAsync(
            null,
            new SessionPolicyEntry { Name = "No executables up", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block, FileExtensions = ["exe"], BlockMessage = "Executables stay on the device." });
        using HttpClient client = harness.CreateClient();
        using var powerShell = new PowerShellHost();
        CasbAccessDecision whatIf = WhatIf(powerShell, harness, new Probe(name, Spelling.Quoted, 0, null, Browser: true), FileTransferDirection.Upload);

        using var request = disposition
            ? new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = new ByteArrayContent([]) }
            : new HttpRequestMessage(HttpMethod.Put, "/files/" + Uri.EscapeDataString(name)) { Content = new ByteArrayContent([]) };
        if (disposition)
        {
            request.Content!.Headers.TryAddWithoutValidation("Content-Disposition", $"attachment; filename=\"{name}\"");
        }

        request.Headers.TryAddWithoutValidation("User-Agent", Edge);
        using HttpResponseMessage response = await client.SendAsync(request);
        string body = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));

        Assert.Equal((FileAction.Block, "No executables up"), (whatIf.FileAction, whatIf.File?.Policy));
        Assert.Equal((HttpStatusCode.Forbidden, "Upload", "Block", "No executables up", 0L), (response.StatusCode, record.FileDirection, record.FileAction, record.SessionPolicy, record.FileSizeBytes));
        Assert.Contains("Executables stay on the device.", body);
        Assert.Equal(0, harness.UpstreamRequests);
    }

    // A URL's last segment that some reader stores as setup.exe ("setup.exe::$DATA", an RFC 2047 word, "&#0046;") had no
    // .exe extension to the gateway's detection, so a PUT to it, a MOVE to it and a GET of it passed undecided while
    // Test-CasbAccess -FileName, which decides every spelling, answered Block.
    [Theory]
    [InlineData("setup.exe::$DATA")]
    [InlineData("=?UTF-8?Q?setup.exe?=")]
    [InlineData("setup=?UTF-8?B?LmV4ZQ==?=")]
    public async Task A_URL_that_some_reader_stores_as_a_controlled_name_is_decided_as_Test_CasbAccess_decides_it(string name)
    {
        await using FileUpstream upstream = await FileUpstream.StartAsync(RespondAsync, responseHeaderEncoding: Encoding.Latin1);
        await using GatewayHarness harness = await UnderAppControlAsync(
            upstream.Url,
            new SessionPolicyEntry { Name = "No executables up", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block, FileExtensions = ["exe"], BlockMessage = "Executables stay on the device." },
            new SessionPolicyEntry { Name = "No executables down", ControlType = SessionControlType.ControlFileDownload, Action = SessionPolicyAction.Block, FileExtensions = ["exe"], BlockMessage = "Executables stay in the app." });
        using HttpClient client = harness.CreateClient();
        using var powerShell = new PowerShellHost();
        var probe = new Probe(name, Spelling.Quoted, 5000, null, Browser: true);

        CasbAccessDecision up = WhatIf(powerShell, harness, probe, FileTransferDirection.Upload);
        CasbAccessDecision down = WhatIf(powerShell, harness, probe, FileTransferDirection.Download);
        (HttpStatusCode putStatus, string putBody, _, ActivityRecord put) = Send(client, harness, probe, Transfer.Put);
        (HttpStatusCode getStatus, string getBody, bool blockedFile, ActivityRecord get) = Send(client, harness, probe, Transfer.Url);

        using var move = new HttpRequestMessage(new HttpMethod("MOVE"), "/files/notes.txt");
        move.Headers.TryAddWithoutValidation("Destination", "/files/" + Uri.EscapeDataString(name));
        move.Headers.TryAddWithoutValidation("User-Agent", Edge);
        using HttpResponseMessage moved = await client.SendAsync(move);

        Assert.Equal((FileAction.Block, "No executables up", FileAction.Block, "No executables down"), (up.FileAction, up.File?.Policy, down.FileAction, down.File?.Policy));
        Assert.Equal((HttpStatusCode.Forbidden, "Upload", "Block", "No executables up"), (putStatus, put.FileDirection, put.FileAction, put.SessionPolicy));
        Assert.Contains("Executables stay on the device.", putBody);
        Assert.Equal((HttpStatusCode.OK, true, "Download", "Block", "No executables down"), (getStatus, blockedFile, get.FileDirection, get.FileAction, get.SessionPolicy));
        Assert.Contains("Executables stay in the app.", getBody);
        Assert.Equal(HttpStatusCode.Forbidden, moved.StatusCode);
    }

    // SabreDAV (Nextcloud, ownCloud) trims the slashes off a path: PUT /files/setup.exe/, a MOVE to /files/setup.exe/ and
    // GET /files/setup.exe/ store and serve setup.exe. The gateway took a URL ending in '/' for a folder, no file: each
    // passed a .exe Block policy undecided, and a MOVE to /files/dir/ passed a policy that blocks every upload.
    [Fact]
    public async Task A_URL_with_a_trailing_slash_names_the_file_a_server_that_trims_it_stores()
    {
        await using FileUpstream upstream = await FileUpstream.StartAsync(RespondAsync, responseHeaderEncoding: Encoding.Latin1);
        await using GatewayHarness harness = await UnderAppControlAsync(
            upstream.Url,
            new SessionPolicyEntry { Name = "No executables up", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block, FileExtensions = ["exe"], BlockMessage = "Executables stay on the device." },
            new SessionPolicyEntry { Name = "No executables down", ControlType = SessionControlType.ControlFileDownload, Action = SessionPolicyAction.Block, FileExtensions = ["exe"], BlockMessage = "Executables stay in the app." },
            new SessionPolicyEntry { Name = "Audit uploads", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Audit });
        using HttpClient client = harness.CreateClient();

        async Task<(HttpStatusCode Status, string Body, ActivityRecord Record)> SendAsync(string method, string url, string? destination)
        {
            using var message = new HttpRequestMessage(new HttpMethod(method), url);
            if (method == "PUT")
            {
                message.Content = new ByteArrayContent(new byte[100]);
            }

            if (destination is not null)
            {
                message.Headers.TryAddWithoutValidation("Destination", destination);
            }

            message.Headers.TryAddWithoutValidation("User-Agent", Edge);
            message.Headers.TryAddWithoutValidation("X-Test-Size", "100");
            using HttpResponseMessage response = await client.SendAsync(message);
            string correlationId = response.Headers.GetValues("X-Casb-Correlation-Id").Single();
            ActivityRecord? record = null;
            for (int i = 0; i < 100 && record is null; i++)
            {
                record = (await harness.WaitForActivityAsync(1)).FirstOrDefault(r => r.CorrelationId == correlationId);
                await Task.Delay(record is null ? 50 : 0);
            }

            return (response.StatusCode, await response.Content.ReadAsStringAsync(), record!);
        }

        var put = await SendAsync("PUT", "/files/setup.exe/", null);
        var move = await SendAsync("MOVE", "/files/notes.txt", "/files/setup.exe/");
        var get = await SendAsync("GET", "/files/setup.exe/", null);
        var moveToFolder = await SendAsync("MOVE", "/files/notes.txt", "/files/dir/");

        Assert.Equal((HttpStatusCode.Forbidden, "Upload", "Block", "No executables up"), (put.Status, put.Record.FileDirection, put.Record.FileAction, put.Record.SessionPolicy));
        Assert.Contains("Executables stay on the device.", WebUtility.HtmlDecode(put.Body));
        Assert.Equal((HttpStatusCode.Forbidden, "Block", "No executables up"), (move.Status, move.Record.FileAction, move.Record.SessionPolicy));
        Assert.Equal(("Download", "Block", "No executables down"), (get.Record.FileDirection, get.Record.FileAction, get.Record.SessionPolicy));
        Assert.Contains("Executables stay in the app.", get.Body);
        Assert.Equal(("Upload", "Audit", "Audit uploads"), (moveToFolder.Record.FileDirection, moveToFolder.Record.FileAction, moveToFolder.Record.SessionPolicy));
    }

    // The answer to PUT /files/a.gz was decided as a download of a.gz by its URL: the client got a.gz.blocked.txt for an
    // upload the upstream had stored, and the activity recorded a blocked download instead of the audited upload.
    [Fact]
    public async Task The_answer_to_a_PUT_is_not_a_download_of_the_file_its_URL_names()
    {
        await using FileUpstream upstream = await FileUpstream.StartAsync(RespondAsync, responseHeaderEncoding: Encoding.Latin1);
        await using GatewayHarness harness = await UnderAppControlAsync(
            upstream.Url,
            new SessionPolicyEntry { Name = "Audit archives", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Audit, FileExtensions = ["gz"] },
            new SessionPolicyEntry { Name = "No archives", ControlType = SessionControlType.ControlFileDownload, Action = SessionPolicyAction.Block, FileExtensions = ["gz"] });
        using HttpClient client = harness.CreateClient();
        using var powerShell = new PowerShellHost();
        var probe = new Probe("a.gz", Spelling.Quoted, 5000, null, Browser: true);

        (HttpStatusCode status, string body, bool blockedFile, ActivityRecord record) = Send(client, harness, probe, Transfer.Put);
        CasbAccessDecision whatIf = WhatIf(powerShell, harness, probe, FileTransferDirection.Upload);

        Assert.Equal((AccessAction.Monitor, "Audit archives"), (whatIf.Action, whatIf.File?.Policy));
        Assert.Equal((HttpStatusCode.OK, "ok", false), (status, body, blockedFile));
        Assert.Equal(("Upload", "Audit", "Audit archives"), (record.FileDirection, record.FileAction, record.SessionPolicy));
    }

    // The PUT rule's neighbours: the answer to a WebDAV MOVE or COPY of /files/a.gz (which stores the file under its
    // Destination and answers with a status) was decided as a download of a.gz by its URL: the client got
    // a.gz.blocked.txt after the upstream had moved the file, and the activity recorded a blocked download in place of
    // the audited upload.
    [Theory]
    [InlineData("MOVE")]
    [InlineData("COPY")]
    [InlineData("move")]
    public async Task The_answer_to_a_MOVE_or_COPY_is_not_a_download_of_the_file_its_URL_names(string method)
    {
        await using FileUpstream upstream = await FileUpstream.StartAsync(RespondAsync, responseHeaderEncoding: Encoding.Latin1);
        await using GatewayHarness harness = await UnderAppControlAsync(
            upstream.Url,
            new SessionPolicyEntry { Name = "Audit archives", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Audit, FileExtensions = ["gz"] },
            new SessionPolicyEntry { Name = "No archives", ControlType = SessionControlType.ControlFileDownload, Action = SessionPolicyAction.Block, FileExtensions = ["gz"] });
        using HttpClient client = harness.CreateClient();

        using var message = new HttpRequestMessage(new HttpMethod(method), "/files/a.gz");
        message.Headers.TryAddWithoutValidation("Destination", "/files/b.gz");

        message.Headers.TryAddWithoutValidation("User-Agent", Edge);
        using HttpResponseMessage response = await client.SendAsync(message);
        string body = await response.Content.ReadAsStringAsync();
        string correlationId = response.Headers.GetValues("X-Casb-Correlation-Id").Single();
        ActivityRecord? record = null;
        for (int i = 0; i < 100 && record is null; i++)
        {
            record = (await harness.WaitForActivityAsync(1)).FirstOrDefault(r => r.CorrelationId == correlationId);
            await Task.Delay(record is null ? 50 : 0);
        }

        Assert.Equal((HttpStatusCode.OK, "ok"), (response.StatusCode, body));
        Assert.Equal(("Upload", "Audit", "Audit archives"), (record!.FileDirection, record.FileAction, record.SessionPolicy));
    }

    // Two Block policies, one on every file and one on .exe of higher severity: 'setup.exe' sent as an RFC 2047 word was
    // decided first under the word as sent (only the policy on every file), and a tie kept that first spelling, so the
    // block page and the activity named the lower policy while Test-CasbAccess -FileName setup.exe named the .exe one.
    [Theory]
    [InlineData((int)Spelling.Rfc2047)]
    [InlineData((int)Spelling.Quoted)]
    [InlineData((int)Spelling.Rfc2231)]
    public async Task Every_spelling_of_a_name_blocks_under_the_policy_that_ranks_first_as_Test_CasbAccess_says(int spelling)
    {
        await using GatewayHarness harness = await UnderAppControlAsync(
            null,
            new SessionPolicyEntry { Name = "A no uploads", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block, Severity = PolicySeverity.Low, BlockMessage = "No uploads at all." },
            new SessionPolicyEntry { Name = "B no executables", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block, Severity = PolicySeverity.High, FileExtensions = ["exe"], BlockMessage = "Executables stay on the device." });
        using HttpClient client = harness.CreateClient();
        using var powerShell = new PowerShellHost();
        var probe = new Probe("setup.exe", (Spelling)spelling, 10, null, Browser: true);

        (HttpStatusCode status, string body, _, ActivityRecord record) = Send(client, harness, probe, Transfer.Multipart);
        CasbAccessDecision whatIf = WhatIf(powerShell, harness, probe, FileTransferDirection.Upload);

        Assert.Equal("B no executables", whatIf.File?.Policy);
        Assert.Equal((HttpStatusCode.Forbidden, "Block", "B no executables"), (status, record.FileAction, record.SessionPolicy));
        Assert.Contains("Executables stay on the device.", body);
    }

    private enum Transfer
    {
        Disposition,
        Url,
        Multipart,
        Put,
    }

    private enum Spelling
    {
        Quoted,
        Rfc2231,
        Rfc2047,
    }

    // TrailingSlash: a URL that names the file ends in '/' (/files/setup.exe/), which SabreDAV trims.
    private sealed record Probe(string Name, Spelling Spelling, long? SizeBytes, string? User, bool Browser, bool TrailingSlash = false)
    {
        public override string ToString() => $"'{Name}' ({Spelling}, {(SizeBytes is long s ? s + " B" : "unknown size")}, {User ?? "anonymous"}, {(Browser ? "browser" : "curl")}{(TrailingSlash ? ", URL ending in '/'" : "")})";
    }

    // A gateway that sends everyone through App Control with these session policies (custom policy mode).
    private static Task<GatewayHarness> UnderAppControlAsync(string? upstream, params SessionPolicyEntry[] policies) =>
        GatewayHarness.StartAsync(c =>
        {
            c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
            {
                Name = "Everyone via App Control", IncludeUsers = ["All"], SessionControl = SessionControlKind.AppControl, AppControlMode = AppControlMode.UseCustomPolicy,
            });
            c.SessionPolicies.AddRange(policies);
        }, upstreamOverride: upstream);

    private static bool UrlCanName(string name) =>
        !name.EndsWith('.') && !name.EndsWith(' ') && !name.Contains('%') && !name.Contains('#');

    private static bool NamesExtension(GatewayHarness harness, Probe probe, FileTransferDirection direction)
    {
        var engine = new CasbCore.CasbEngine(harness.Store.Load());
        AccessDecision session = engine.Decide(new AccessRequest { AppName = GatewayHarness.AppName, User = probe.User, UserAgent = probe.Browser ? Edge : Curl });
        // Any name a reader stores the file under: the what-if decides each.
        return FileNameSpellings.Of(probe.Name).Any(name => direction == FileTransferDirection.Upload
            ? session.SessionControls?.ControlsUploadOf(name) == true
            : session.SessionControls?.NamesExtensionOf(direction, name) == true);
    }

    private static string Describe(CasbConfiguration c) =>
        $"{c.ConditionalAccessPolicies[0].AppControlMode}; " + string.Join("; ", c.SessionPolicies.Select(p =>
            $"{p.Name} {p.ControlType} {p.Action} {p.ClientApp} ext=[{string.Join(",", p.FileExtensions)}] min={p.MinFileSizeMB} users=[{string.Join(",", p.Users)}] groups=[{string.Join(",", p.Groups)}]"));

    private static CasbAccessDecision WhatIf(PowerShellHost powerShell, GatewayHarness harness, Probe probe, FileTransferDirection direction, string? contentType = null)
    {
        var parameters = new Dictionary<string, object?>
        {
            ["store"] = harness.StorePath,
            ["app"] = GatewayHarness.AppName,
            ["user"] = probe.User,
            ["agent"] = probe.Browser ? Edge : Curl,
            ["name"] = probe.Name,
            // The size as an admin reads it off a file: bytes over 1 MiB, exact in a double.
            ["size"] = probe.SizeBytes is long bytes ? bytes / (double)Megabyte[0] : null,
            ["type"] = contentType,
        };
        string script = "Test-CasbAccess -StorePath $store -App $app -UserAgent $agent -FileName $name"
            + (direction == FileTransferDirection.Download ? " -Download" : " -Upload")
            + (probe.User is null ? "" : " -User $user")
            + (probe.SizeBytes is null ? "" : " -FileSizeMB $size")
            + (contentType is null ? "" : " -ContentType $type");
        var (output, errors) = powerShell.Run(script, parameters);
        Assert.Empty(errors);
        return (CasbAccessDecision)Assert.Single(output).BaseObject;
    }

    private static (HttpStatusCode Status, string Body, bool BlockedFile, ActivityRecord Record) Send(HttpClient client, GatewayHarness harness, Probe probe, Transfer transfer)
    {
        byte[] file = new byte[probe.SizeBytes ?? UnknownSizeBytes];
        HttpRequestMessage message;
        switch (transfer)
        {
            case Transfer.Disposition:
                message = new HttpRequestMessage(HttpMethod.Get, "/files/42");
                // A quoted name that is not ASCII is sent as its raw UTF-8 bytes, as PHP's header() sends it (the bytes travel
                // to the app in hex: the app writes them one character per byte).
                message.Headers.TryAddWithoutValidation("X-Test-Disposition", Convert.ToHexString(Encoding.UTF8.GetBytes("attachment; " + Parameter("filename", probe))));
                break;
            case Transfer.Url:
                message = new HttpRequestMessage(HttpMethod.Get, "/files/" + Uri.EscapeDataString(probe.Name) + (probe.TrailingSlash ? "/" : ""));
                break;
            case Transfer.Multipart:
                byte[] head = Encoding.UTF8.GetBytes($"--b0\r\nContent-Disposition: form-data; name=\"file\"; {Parameter("filename", probe)}\r\nContent-Type: application/octet-stream\r\n\r\n");
                byte[] tail = "\r\n--b0--\r\n"u8.ToArray();
                message = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = Body([.. head, .. file, .. tail], probe.SizeBytes is null) };
                message.Content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b0");
                break;
            default:
                message = new HttpRequestMessage(HttpMethod.Put, "/files/" + Uri.EscapeDataString(probe.Name) + (probe.TrailingSlash ? "/" : "")) { Content = Body(file, probe.SizeBytes is null) };
                break;
        }

        if (transfer is Transfer.Disposition or Transfer.Url)
        {
            message.Headers.TryAddWithoutValidation("X-Test-Size", (probe.SizeBytes ?? -1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (message.Content is not null && probe.SizeBytes is null)
        {
            message.Headers.TransferEncodingChunked = true; // no Content-Length: a size the gateway does not know
        }

        message.Headers.TryAddWithoutValidation("User-Agent", probe.Browser ? Edge : Curl);
        if (probe.User is not null)
        {
            message.Headers.TryAddWithoutValidation("X-Casb-User", probe.User);
        }

        using (message)
        using (HttpResponseMessage response = client.SendAsync(message).GetAwaiter().GetResult())
        {
            // The block page is HTML for a browser and JSON for other clients: the message as either shows it.
            string body = WebUtility.HtmlDecode(response.Content.ReadAsStringAsync().GetAwaiter().GetResult().Replace("\\u0027", "'", StringComparison.Ordinal));
            string correlationId = response.Headers.GetValues("X-Casb-Correlation-Id").Single();
            ActivityRecord? record = null;
            for (int i = 0; i < 100 && record is null; i++)
            {
                record = harness.WaitForActivityAsync(1).GetAwaiter().GetResult().FirstOrDefault(r => r.CorrelationId == correlationId);
                if (record is null)
                {
                    Thread.Sleep(50);
                }
            }

            Assert.NotNull(record);
            bool blockedFile = response.Content.Headers.ContentDisposition?.FileNameStar?.EndsWith(".blocked.txt", StringComparison.Ordinal) == true;
            return (response.StatusCode, body, blockedFile, record);
        }
    }

    private static HttpContent Body(byte[] bytes, bool chunked) =>
        chunked ? new StreamContent(new MemoryStream(bytes)) : new ByteArrayContent(bytes);

    /// <summary>The name in a Content-Disposition parameter, as a server or a browser writes it.</summary>
    private static string Parameter(string key, Probe probe) => probe.Spelling switch
    {
        Spelling.Rfc2231 => $"{key}*=UTF-8''{Uri.EscapeDataString(probe.Name)}",
        Spelling.Rfc2047 => $"{key}=\"=?UTF-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(probe.Name))}?=\"",
        _ => $"{key}=\"{probe.Name}\"",
    };

    private static async Task RespondAsync(HttpContext context)
    {
        if (HttpMethods.IsGet(context.Request.Method))
        {
            if (context.Request.Headers.TryGetValue("X-Test-Disposition", out var disposition))
            {
                context.Response.Headers.ContentDisposition = Encoding.Latin1.GetString(Convert.FromHexString(disposition.ToString()));
            }

            long size = long.Parse(context.Request.Headers["X-Test-Size"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            if (size >= 0)
            {
                context.Response.ContentLength = size;
            }

            // The body is "ok" and padding: the client tells a download let through from the blocked-download file.
            byte[] body = new byte[Math.Max(size, UnknownSizeBytes)];
            "ok"u8.CopyTo(body);
            await context.Response.Body.WriteAsync(body.AsMemory(0, (int)(size >= 0 ? size : body.Length)));
            return;
        }

        await context.Request.Body.CopyToAsync(Stream.Null);
        await context.Response.WriteAsync("ok");
    }

    private static readonly Gen<long?> SizeGen = Gen.OneOf(
        Gen.Const((long?)null),
        Gen.Int[0, 3].SelectMany(mb => Gen.Int[-2, 2].Select(d => (long?)Math.Max(0, mb * Megabyte[0] + d))),
        Gen.Long[0, 5000].Select(b => (long?)b));

    private static readonly Gen<Probe> FileGen =
        from name in Gen.OneOf(Names)
        from spelling in Gen.Enum<Spelling>()
        from size in SizeGen
        from user in Gen.OneOf<string?>(null, Users[0], Users[1], "Vendor@Contoso.COM")
        from browser in Gen.Int[0, 3].Select(i => i > 0)
        from slash in Gen.Int[0, 3].Select(i => i == 0)
        select new Probe(name, spelling, size, user, browser, slash);

    private static readonly Gen<SessionPolicyEntry> SessionPolicyGen =
        from control in Gen.Enum<SessionControlType>()
        from action in Gen.Enum<SessionPolicyAction>()
        from extensions in Gen.Int[0, Extensions.Length - 1].Array[0, 3]
        from min in Gen.OneOf(Gen.Const((int?)null), Gen.Int[0, 3].Select(i => (int?)i))
        from clientApp in Gen.Enum<AccessPolicyClientApp>()
        from who in Gen.Int[0, 4]
        from severity in Gen.Enum<PolicySeverity>()
        from message in Gen.Int[0, 1]
        select new SessionPolicyEntry
        {
            ControlType = control,
            Action = control == SessionControlType.MonitorOnly ? SessionPolicyAction.Audit : action,
            FileExtensions = extensions.Select(e => Extensions[e]).Distinct().ToList(),
            MinFileSizeMB = min,
            ClientApp = clientApp,
            Users = who == 1 ? [Users[0]] : [],
            Groups = who == 2 ? ["Vendors"] : [],
            ExcludeUsers = who == 3 ? [Users[1]] : [],
            Severity = severity,
            BlockMessage = message == 0 ? null : $"Blocked by generated policy {severity}.",
        };

    private static readonly Gen<Action<CasbConfiguration>> ConfigurationGen =
        from mode in Gen.Int[0, 5].Select(i => i switch { 0 => AppControlMode.MonitorOnly, 1 => AppControlMode.BlockDownloads, _ => AppControlMode.UseCustomPolicy })
        from policies in SessionPolicyGen.Array[1, 4]
        select (Action<CasbConfiguration>)(c =>
        {
            c.Groups = [new GroupEntry { Name = "Vendors", Members = [Users[0]] }];
            c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
            {
                Name = "Everyone via App Control",
                IncludeUsers = ["All"],
                SessionControl = SessionControlKind.AppControl,
                AppControlMode = mode,
            });
            c.SessionPolicies = policies.Select((p, i) => { p.Name = $"Session {i}"; return p; }).ToList();
        });
}
