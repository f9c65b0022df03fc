using CsCheck;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

/// <summary>The session stage: what an allowed session carries, and what happens to each download and upload.</summary>
public sealed class SessionPolicyTests
{
    private static CasbConfiguration WithMode(AppControlMode mode, params SessionPolicyEntry[] policies)
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies.Clear();
        configuration.ConditionalAccessPolicies[0].AppControlMode = mode;
        configuration.SessionPolicies.AddRange(policies);
        return configuration;
    }

    private static SessionPolicyEntry Policy(string name, SessionControlType type, SessionPolicyAction action, PolicySeverity severity = PolicySeverity.Medium) =>
        new() { Name = name, ControlType = type, Action = action, Severity = severity };

    private static FileDecision File(CasbConfiguration configuration, FileTransferDirection direction, string? name, long? size = null,
        CertificateValidationResult? certificate = null, string? userAgent = Edge)
    {
        var engine = new CasbEngine(configuration);
        AccessDecision session = engine.Decide(Request(userAgent: userAgent), certificate ?? NoCertificate);
        return engine.DecideFile(session, new FileTransfer(direction, name, size));
    }

    [Fact]
    public void MonitorOnly_records_every_download_and_upload_and_blocks_none()
    {
        CasbConfiguration configuration = WithMode(AppControlMode.MonitorOnly, Policy("Block all", SessionControlType.ControlFileDownload, SessionPolicyAction.Block));

        Assert.Equal(FileAction.Audit, File(configuration, FileTransferDirection.Download, "a.exe").Action);
        Assert.Equal(FileAction.Audit, File(configuration, FileTransferDirection.Upload, "a.exe").Action);
    }

    [Fact]
    public void BlockDownloads_blocks_every_download_in_scope_and_records_uploads()
    {
        CasbConfiguration configuration = WithMode(AppControlMode.BlockDownloads);

        FileDecision download = File(configuration, FileTransferDirection.Download, "notes.txt", 10);
        FileDecision upload = File(configuration, FileTransferDirection.Upload, "notes.txt", 10);

        Assert.Equal(FileAction.Block, download.Action);
        Assert.Equal("Downloads from Microsoft Online Services are blocked by your organization's policy.", download.BlockMessage);
        Assert.Equal(FileAction.Audit, upload.Action);
        Assert.Null(upload.BlockMessage);
    }

    [Fact]
    public void Outside_App_Control_nothing_is_controlled_and_a_blocked_session_blocks_its_files()
    {
        CasbConfiguration outside = WithMode(AppControlMode.BlockDownloads);
        outside.ConditionalAccessPolicies[0].State = ConditionalAccessState.Off;
        CasbConfiguration blocked = WithMode(AppControlMode.UseCustomPolicy);
        blocked.Settings.DefaultAction = DefaultAction.Block;

        Assert.Equal(FileAction.Allow, File(outside, FileTransferDirection.Download, "a.exe").Action);
        Assert.Null(new CasbEngine(outside).Decide(Request(), NoCertificate).SessionControls);
        FileDecision inBlockedSession = File(blocked, FileTransferDirection.Download, "a.txt");
        Assert.Equal(FileAction.Block, inBlockedSession.Action);
        Assert.Equal("Access to Microsoft Online Services is not allowed by default.", inBlockedSession.BlockMessage);
    }

    [Fact]
    public void UseCustomPolicy_blocks_downloads_on_devices_without_a_certificate_and_lets_company_devices_through()
    {
        SessionPolicyEntry policy = Policy("No downloads to unmanaged", SessionControlType.ControlFileDownload, SessionPolicyAction.Block);
        policy.DeviceTags = [DeviceTags.ValidClientCertificate];
        policy.DeviceTagOperator = FilterOperator.DoesNotEqual;
        policy.BlockMessage = "Download from a company device.";
        CasbConfiguration configuration = WithMode(AppControlMode.UseCustomPolicy, policy);

        FileDecision unmanaged = File(configuration, FileTransferDirection.Download, "q3.xlsx");
        FileDecision managed = File(configuration, FileTransferDirection.Download, "q3.xlsx", certificate: ValidCertificate());
        FileDecision upload = File(configuration, FileTransferDirection.Upload, "q3.xlsx");

        Assert.Equal((FileAction.Block, "No downloads to unmanaged", "Download from a company device."), (unmanaged.Action, unmanaged.Policy, unmanaged.BlockMessage));
        Assert.Equal(FileAction.Allow, managed.Action);
        Assert.Equal(FileAction.Allow, upload.Action); // a download policy says nothing about uploads
    }

    [Fact]
    public void Block_wins_over_Audit_whatever_the_severity_then_the_higher_severity_decides()
    {
        CasbConfiguration configuration = WithMode(AppControlMode.UseCustomPolicy,
            Policy("Audit high", SessionControlType.ControlFileUpload, SessionPolicyAction.Audit, PolicySeverity.High),
            Policy("Block low", SessionControlType.ControlFileUpload, SessionPolicyAction.Block, PolicySeverity.Low),
            Policy("Block medium", SessionControlType.ControlFileUpload, SessionPolicyAction.Block, PolicySeverity.Medium),
            Policy("Monitor", SessionControlType.MonitorOnly, SessionPolicyAction.Audit, PolicySeverity.High));

        FileDecision upload = File(configuration, FileTransferDirection.Upload, "plan.docx");
        FileDecision download = File(configuration, FileTransferDirection.Download, "plan.docx");

        Assert.Equal(FileAction.Block, upload.Action);
        Assert.Equal("Block medium", upload.Policy);
        Assert.Equal(["Audit high", "Block low", "Block medium", "Monitor"], upload.MatchedPolicies);
        Assert.Equal("This upload to Microsoft Online Services is blocked by your organization's policy.", upload.BlockMessage);
        Assert.Equal((FileAction.Audit, "Monitor"), (download.Action, download.Policy));
    }

    [Theory]
    [InlineData("report.PDF", 1L, FileAction.Block)]
    [InlineData("report.pdf.", 1L, FileAction.Block)] // Windows saves it as report.pdf
    [InlineData("folder.pdf/report.txt", 1L, FileAction.Allow)]
    [InlineData("report.pdf", 0L, FileAction.Allow)] // under the minimum size
    [InlineData("report.pdf", null, FileAction.Block)] // unknown size: fail closed
    [InlineData("report", 1L, FileAction.Allow)]
    [InlineData(null, 1L, FileAction.Allow)]
    public void File_filters_compare_the_last_extension_ignoring_case_and_an_unknown_size_matches(string? name, long? mb, FileAction expected)
    {
        SessionPolicyEntry policy = Policy("Big PDFs", SessionControlType.ControlFileDownload, SessionPolicyAction.Block);
        policy.FileExtensions = [".PDF", "docx"];
        policy.MinFileSizeMB = 1;
        CasbConfiguration configuration = WithMode(AppControlMode.UseCustomPolicy, policy);

        Assert.Equal(expected, File(configuration, FileTransferDirection.Download, name, mb * 1024 * 1024).Action);
    }

    [Fact]
    public void Session_filters_are_the_access_policies_filters_browser_only_by_default()
    {
        SessionPolicyEntry policy = Policy("Vendors audited", SessionControlType.MonitorOnly, SessionPolicyAction.Audit);
        policy.Groups = ["Vendors"];
        CasbConfiguration configuration = WithMode(AppControlMode.UseCustomPolicy, policy);
        var engine = new CasbEngine(configuration);

        AccessDecision vendor = engine.Decide(Request(user: "vendor@contoso.com"), NoCertificate);
        AccessDecision other = engine.Decide(Request(user: "someone@contoso.com"), NoCertificate);
        AccessDecision desktop = engine.Decide(Request(user: "vendor@contoso.com", userAgent: Curl), NoCertificate);

        Assert.Equal(["Vendors audited"], vendor.SessionControls!.Policies);
        Assert.Empty(other.SessionControls!.Policies);
        Assert.Empty(desktop.SessionControls!.Policies);
        Assert.Equal(FileAction.Audit, engine.DecideFile(vendor, new FileTransfer(FileTransferDirection.Download, "a", null)).Action);
        Assert.Equal(FileAction.Allow, engine.DecideFile(other, new FileTransfer(FileTransferDirection.Download, "a", null)).Action);
    }

    [Fact]
    public void An_allowed_session_in_an_app_without_session_policies_shares_one_controls_object()
    {
        SessionPolicyEntry policy = Policy("Azure only", SessionControlType.MonitorOnly, SessionPolicyAction.Audit);
        policy.Apps = ["Azure Portal"];
        var engine = new CasbEngine(WithMode(AppControlMode.UseCustomPolicy, policy));

        AccessDecision first = engine.Decide(Request(), NoCertificate);
        AccessDecision second = engine.Decide(Request(user: "vendor@contoso.com"), NoCertificate);

        Assert.Same(first.SessionControls, second.SessionControls);
        Assert.Equal(AppControlMode.UseCustomPolicy, first.SessionControls!.Mode);
    }

    [Fact]
    public void A_disabled_session_policy_does_not_apply_and_the_catalog_refuses_MonitorOnly_with_Block()
    {
        SessionPolicyEntry policy = Policy("Off", SessionControlType.ControlFileDownload, SessionPolicyAction.Block);
        policy.Enabled = false;
        CasbConfiguration configuration = WithMode(AppControlMode.UseCustomPolicy, policy);

        Assert.Equal(FileAction.Allow, File(configuration, FileTransferDirection.Download, "a.exe").Action);
        Assert.Equal("MonitorOnlyCannotBlock", Assert.Throws<CasbException>(() => SessionPolicyCatalog.Instance.Add(
            configuration, Policy("M", SessionControlType.MonitorOnly, SessionPolicyAction.Block), DateTimeOffset.UtcNow)).ErrorId);
        Assert.Equal("InvalidFileExtension", Assert.Throws<CasbException>(() => SessionPolicyCatalog.Instance.Add(
            configuration, new SessionPolicyEntry { Name = "T", FileExtensions = ["tar.gz"] }, DateTimeOffset.UtcNow)).ErrorId);
    }

    [Theory]
    [InlineData("a.PDF", "pdf")]
    [InlineData("archive.tar.gz", "gz")]
    [InlineData(".bashrc", "bashrc")]
    [InlineData("noext", "")]
    [InlineData("dir.d/file", "")]
    [InlineData(@"C:\dir.d\file.Exe", "exe")]
    [InlineData("evil.exe. . ", "exe")]
    [InlineData("trailing.", "")]
    public void The_extension_is_the_part_after_the_last_dot_of_the_name_without_folders(string name, string extension)
    {
        Assert.Equal(extension, FileTransfer.ExtensionOf(name));
    }

    /// <summary>
    /// Every spelling of one file decides it under the same policy, not only with the same action: CI drew an RFC 2047
    /// name under two Audit policies (one on .exe, one without extensions) that the gateway recorded under the second and
    /// Test-CasbAccess -FileName setup.exe under the first, since the strictest reading won with ties to the name as given.
    /// Generated: policy sets of Audit and Block on exe or on every file, of any severity, against the spellings.
    /// </summary>
    [Fact]
    public void Every_spelling_of_a_name_is_decided_under_the_same_policy_as_the_name()
    {
        string[] spellings = ["=?UTF-8?B?c2V0dXAuZXhl?=", "=?UTF-8?Q?setup.exe?=", "setup%2Eexe", "setup.exe::$DATA", "setup&#46;exe", "setup.exe\0.txt"];
        Gen<SessionPolicyEntry> policy =
            from name in Gen.Int[0, 9].Select(i => $"Policy {i}")
            from type in Gen.Int[0, 1].Select(i => i == 0 ? SessionControlType.ControlFileUpload : SessionControlType.MonitorOnly)
            from block in Gen.Bool
            from severity in Gen.Int[0, 2].Select(i => (PolicySeverity)i)
            from exe in Gen.Bool
            select new SessionPolicyEntry
            {
                Name = name, ControlType = type, Action = block && type != SessionControlType.MonitorOnly ? SessionPolicyAction.Block : SessionPolicyAction.Audit,
                Severity = severity, FileExtensions = exe ? ["exe"] : [],
            };
        policy.Array[1, 4].Sample(policies =>
        {
            SessionPolicyEntry[] distinct = policies.DistinctBy(p => p.Name).ToArray();
            CasbConfiguration configuration = WithMode(AppControlMode.UseCustomPolicy, distinct);
            FileDecision plain = File(configuration, FileTransferDirection.Upload, "setup.exe", 1);
            foreach (string spelling in spellings)
            {
                FileDecision other = File(configuration, FileTransferDirection.Upload, spelling, 1);
                Assert.True((plain.Action, plain.Policy) == (other.Action, other.Policy), $"{spelling}: {other.Action} ({other.Policy}) vs setup.exe: {plain.Action} ({plain.Policy})");
            }
        });
    }

    /// <summary>
    /// Whatever trails a name's extension that a browser or Windows drops when it saves the file (dots, spaces, tabs,
    /// line breaks, no-break spaces, control characters, in any run) leaves the extension the file is saved with, and
    /// the policy naming it decides the file: "setup.exe.\t." was no .exe.
    /// </summary>
    [Fact]
    public void Dots_white_space_and_control_characters_after_the_extension_leave_it_the_extension()
    {
        SessionPolicyEntry policy = Policy("No executables", SessionControlType.ControlFileUpload, SessionPolicyAction.Block);
        policy.FileExtensions = ["exe"];
        CasbConfiguration configuration = WithMode(AppControlMode.UseCustomPolicy, policy);
        const string trailing = ". \t\r\n\u00A0\u3000\u0001\u001F\u007F\u0085";
        string[] names = ["setup.exe", "SETUP.Exe", "a.b.exe"];
        Gen.Select(Gen.Char[trailing].Array[1, 6], Gen.Int[0, names.Length - 1].Select(i => names[i]))
            .Sample(sample =>
            {
                string name = sample.Item2 + new string(sample.Item1);
                Assert.Equal("exe", FileTransfer.ExtensionOf(name));
                Assert.Equal(FileAction.Block, File(configuration, FileTransferDirection.Upload, name, 1).Action);
            });
    }

    // Generated policies (on every file or on one extension, Block or Audit, any severity) and names with other spellings:
    // the engine's answer for a name is the best-ranked answer over its spellings, whatever their order, so the block
    // page (the gateway's header order) and Test-CasbAccess -FileName (the name as typed) name the same policy.
    [Fact]
    public void The_answer_over_every_spelling_names_the_best_ranked_policy_whatever_the_order_of_the_spellings()
    {
        string[] names = ["=?UTF-8?Q?setup.exe?=", "setup.exe::$DATA", "setup&#0046;exe", "setup%2Eexe", "a.pdf%00.exe", "archive.gz:x.txt", "setup.exe"];
        Gen<SessionPolicyEntry> policy =
            from ext in Gen.OneOf<string?>(null, "exe", "pdf", "gz", "txt")
            from action in Gen.Enum<SessionPolicyAction>()
            from severity in Gen.Enum<PolicySeverity>()
            select new SessionPolicyEntry { ControlType = SessionControlType.ControlFileUpload, Action = action, Severity = severity, FileExtensions = ext is null ? [] : [ext] };
        Gen.Select(policy.Array[1, 4], Gen.Int[0, names.Length - 1].Select(i => names[i]))
            .Sample(sample =>
            {
                (SessionPolicyEntry[] policies, string name) = sample;
                for (int i = 0; i < policies.Length; i++)
                {
                    policies[i].Name = $"P{i}";
                }

                var engine = new CasbEngine(WithMode(AppControlMode.UseCustomPolicy, policies));
                AccessDecision session = engine.Decide(Request(userAgent: Edge), NoCertificate);
                FileDecision decided = engine.DecideFile(session, new FileTransfer(FileTransferDirection.Upload, name, 1));
                foreach (IEnumerable<string> order in new[] { FileNameSpellings.Of(name), FileNameSpellings.Of(name).Reverse() })
                {
                    FileDecision? best = null;
                    foreach (string spelling in order)
                    {
                        FileDecision each = engine.DecideFile(session, new FileTransfer(FileTransferDirection.Upload, spelling, 1));
                        best = best is null || each.IsStricterThan(best) ? each : best;
                    }

                    Assert.Equal((best!.Action, best.Policy, best.BlockMessage), (decided.Action, decided.Policy, decided.BlockMessage));
                }
            });
    }
}
