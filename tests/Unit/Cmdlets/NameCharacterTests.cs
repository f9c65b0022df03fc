using System.Management.Automation;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;

namespace CasbModule.Tests.Cmdlets;

/// <summary>
/// Every name that reaches the store (items, users, group members, revoked sessions) refuses a control, bidi or lone
/// surrogate character with InvalidName / InvalidArgument, from every cmdlet that takes one and from an import, and
/// nothing is written. Generated: each such character at the start, in the middle and at the end of a name.
/// </summary>
public sealed class NameCharacterTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("casb-names-").FullName;
    private readonly PowerShellHost _host = new();

    public NameCharacterTests()
    {
        Run("""
            Add-CasbApp -StorePath $store -Name A -Upstream http://127.0.0.1:8080
            New-CasbGroup -StorePath $store -Name G
            New-CasbConditionalAccessPolicy -StorePath $store -Name CA -SessionControl AppControl -WarningAction SilentlyContinue
            New-CasbAccessPolicy -StorePath $store -Name AP -Action Test
            New-CasbSessionPolicy -StorePath $store -Name SP -ControlType MonitorOnly -Action Audit
            """);
    }

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_store, recursive: true);
    }

    /// <summary>C0, DEL, C1, the bidi marks and controls, U+2028/2029 and both halves of a surrogate pair alone.</summary>
    public static IEnumerable<char> Refused() =>
        Enumerable.Range(0, 0x20).Concat([0x7f]).Concat(Enumerable.Range(0x80, 0x20))
            .Concat([0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0xd800, 0xdbff, 0xdc00, 0xdfff])
            .Concat(Enumerable.Range(0x202a, 5)).Concat(Enumerable.Range(0x2066, 4))
            .Select(c => (char)c);

    /// <summary>
    /// Each refused character at the start, middle and end of "ab". One at either end that is white space (TAB, LF, NEL,
    /// U+2028, ...) is trimmed as any white space around a name is, so nothing of it is stored: those are left out.
    /// </summary>
    public static IReadOnlyList<string> Names() =>
        Refused()
            .SelectMany(c => new[] { c + "ab", "a" + c + "b", "ab" + c })
            .Where(n => n.Trim().Any(Refused().Contains))
            .ToList();

    /// <summary>How a failure names a name: every character outside printable ASCII as \uHHHH.</summary>
    private static string Shown(string name) =>
        string.Concat(name.Select(c => c is >= ' ' and < '\u007f' ? c.ToString() : $"\\u{(int)c:x4}"));

    public static TheoryData<string, string> Cmdlets() => new()
    {
        { "AddCasbAppCommand", "Add-CasbApp -StorePath $store -Name $n -Upstream http://127.0.0.1:8081" },
        { "SetCasbAppCommand", "Set-CasbApp -StorePath $store -Name A -NewName $n" },
        { "NewCasbGroupCommand", "New-CasbGroup -StorePath $store -Name $n" },
        { "NewCasbGroupCommand", "New-CasbGroup -StorePath $store -Name G2 -Member $n" },
        { "AddCasbGroupMemberCommand", "Add-CasbGroupMember -StorePath $store -Group G -Member $n" },
        { "NewCasbConditionalAccessPolicyCommand", "New-CasbConditionalAccessPolicy -StorePath $store -Name $n -SessionControl AppControl" },
        { "NewCasbConditionalAccessPolicyCommand", "New-CasbConditionalAccessPolicy -StorePath $store -Name CA2 -IncludeUser $n -SessionControl AppControl" },
        { "SetCasbConditionalAccessPolicyCommand", "Set-CasbConditionalAccessPolicy -StorePath $store -Name CA -NewName $n" },
        { "SetCasbConditionalAccessPolicyCommand", "Set-CasbConditionalAccessPolicy -StorePath $store -Name CA -ExcludeUser $n" },
        { "NewCasbAccessPolicyCommand", "New-CasbAccessPolicy -StorePath $store -Name $n -Action Test" },
        { "NewCasbAccessPolicyCommand", "New-CasbAccessPolicy -StorePath $store -Name AP2 -Action Test -User $n" },
        { "SetCasbAccessPolicyCommand", "Set-CasbAccessPolicy -StorePath $store -Name AP -NewName $n" },
        { "SetCasbAccessPolicyCommand", "Set-CasbAccessPolicy -StorePath $store -Name AP -ExcludeUser $n" },
        { "NewCasbSessionPolicyCommand", "New-CasbSessionPolicy -StorePath $store -Name $n -ControlType MonitorOnly -Action Audit" },
        { "SetCasbSessionPolicyCommand", "Set-CasbSessionPolicy -StorePath $store -Name SP -User $n" },
        { "SetCasbSessionPolicyCommand", "Set-CasbSessionPolicy -StorePath $store -Name SP -NewName $n" },
        { "RevokeCasbSessionCommand", "Revoke-CasbSession -StorePath $store -UserName $n -Confirm:$false -WarningAction SilentlyContinue" },
    };

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void A_name_with_a_control_character_is_InvalidName_and_writes_nothing(string cmdlet, string command)
    {
        byte[] before = File.ReadAllBytes(Path.Combine(_store, CasbStore.ConfigurationFileName));
        IReadOnlyList<string> names = Names();

        // One outcome per name: the error id and category, or OK when it was taken.
        var (output, _) = _host.Run(
            "foreach ($n in $names) { try { " + command + " -ErrorAction Stop | Out-Null; 'OK' } " +
            "catch { '{0}|{1}' -f $_.FullyQualifiedErrorId, $_.CategoryInfo.Category } }",
            new Dictionary<string, object?> { ["store"] = _store, ["names"] = names.ToArray() });

        string expected = $"InvalidName,CasbModule.Cmdlets.{cmdlet}|InvalidArgument";
        string[] wrong = output.Select(o => o.ToString()).Zip(names, (outcome, name) => (outcome, name))
            .Where(r => r.outcome != expected)
            .Select(r => $"{Shown(r.name)}: {r.outcome}")
            .ToArray();
        Assert.Equal(names.Count, output.Count);
        Assert.Empty(wrong);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(_store, CasbStore.ConfigurationFileName)));
        Assert.False(File.Exists(Path.Combine(_store, "sessions", "ended.json")), "a revocation was recorded");
    }

    public static TheoryData<string> ImportedNames() => new()
    {
        "apps", "groupName", "groupMember", "conditionalAccessUser", "accessPolicyUser", "sessionPolicyExcludedUser",
    };

    [Theory]
    [MemberData(nameof(ImportedNames))]
    public void An_imported_name_with_a_control_character_is_InvalidName_and_nothing_is_written(string where)
    {
        byte[] before = File.ReadAllBytes(Path.Combine(_store, CasbStore.ConfigurationFileName));
        string file = Path.Combine(_store, "import.json");
        var outcomes = new List<string>();
        foreach (string name in Names().Where(n => !n.Any(char.IsSurrogate)))
        {
            var configuration = new CasbConfiguration { Apps = [new AppEntry { Name = "A", Upstream = "http://127.0.0.1:8080" }] };
            switch (where)
            {
                case "apps":
                    configuration.Apps.Add(new AppEntry { Name = name, Upstream = "http://127.0.0.1:8081" });
                    break;
                case "groupName":
                    configuration.Groups.Add(new GroupEntry { Name = name });
                    break;
                case "groupMember":
                    configuration.Groups.Add(new GroupEntry { Name = "G3", Members = ["x", name] });
                    break;
                case "conditionalAccessUser":
                    configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry { Name = "CA3", IncludeUsers = [name] });
                    break;
                case "accessPolicyUser":
                    configuration.AccessPolicies.Add(new AccessPolicyEntry { Name = "AP3", Users = [name] });
                    break;
                default:
                    configuration.SessionPolicies.Add(new SessionPolicyEntry { Name = "SP3", ExcludeUsers = [name] });
                    break;
            }

            // The gateway validates a revision with the same validator: it refuses what the import refuses.
            Assert.Contains(ConfigurationValidator.Validate(configuration), p => p.ErrorId == "InvalidName");
            File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(configuration, CasbStore.SerializerOptions));
            var (output, _) = _host.Run(
                "try { Import-CasbConfiguration -StorePath $store -Path $file -ErrorAction Stop -Confirm:$false | Out-Null; 'OK' } " +
                "catch { '{0}|{1}' -f $_.FullyQualifiedErrorId, $_.CategoryInfo.Category }",
                new Dictionary<string, object?> { ["store"] = _store, ["file"] = file });
            string outcome = Assert.Single(output).ToString();
            if (outcome != "InvalidName,CasbModule.Cmdlets.ImportCasbConfigurationCommand|InvalidArgument")
            {
                outcomes.Add($"{Shown(name)}: {outcome}");
            }
        }

        Assert.Empty(outcomes);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(_store, CasbStore.ConfigurationFileName)));
    }

    [Fact]
    public void Remove_CasbGroupMember_takes_out_a_member_a_store_written_before_the_rule_holds()
    {
        var store = new CasbStore(_store);
        store.Update(c => c.Groups.Single(g => g.Name == "G").Members.Add("bob\u001b"));

        var (_, errors) = _host.Run(
            "Remove-CasbGroupMember -StorePath $store -Group G -Member \"bob`e\" -Confirm:$false",
            new Dictionary<string, object?> { ["store"] = _store });

        Assert.Empty(errors);
        Assert.Empty(store.Load().Groups.Single(g => g.Name == "G").Members);
    }

    [Fact]
    public void A_piped_user_with_a_control_character_fails_alone_and_the_others_are_revoked()
    {
        var (output, errors) = _host.Run(
            "'alice', \"bob`e[2J\", 'carol' | Revoke-CasbSession -StorePath $store -PassThru -Confirm:$false -WarningAction SilentlyContinue | ForEach-Object UserName",
            new Dictionary<string, object?> { ["store"] = _store });

        Assert.Equal(["alice", "carol"], output.Select(o => o.ToString()));
        ErrorRecord error = Assert.Single(errors);
        Assert.Equal("InvalidName,CasbModule.Cmdlets.RevokeCasbSessionCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Contains("bob\\x1b[2J", error.ErrorDetails.Message, StringComparison.Ordinal);
    }

    private void Run(string script)
    {
        var (_, errors) = _host.Run(script, new Dictionary<string, object?> { ["store"] = _store });
        Assert.Empty(errors);
    }
}
