using CasbCore;
using CasbCore.Activity;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Cmdlets;
using CasbModule.Tests.Gateway;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

/// <summary>
/// An app is one app however a policy spells its name: the validator reads a policy's app list as names compare
/// (ItemNames: case, NFC/NFD, fullwidth letters), so the engine must apply the policy to that app, or a store the validator
/// accepts (a copied or hand-edited store, an import) holds a Block policy that silently applies to nothing. Every spelling
/// is a literal (this process runs with InvariantGlobalization, where string.Normalize does nothing).
/// </summary>
public sealed class AppNameSpellingTests
{
    /// <summary>Where the policy names the app.</summary>
    public enum NamedIn { AccessPolicy, ConditionalAccessPolicy, SessionPolicy }

    /// <summary>Every spelling pair of <see cref="UserNameSpellingTests.Pairs"/>, both ways, for each kind of policy: (label, the app's name, the policy's spelling of it, kind).</summary>
    public static TheoryData<string, string, string, NamedIn> Spellings()
    {
        var data = new TheoryData<string, string, string, NamedIn>();
        foreach (NamedIn where in Enum.GetValues<NamedIn>())
        {
            foreach (var (label, a, _, b, _) in UserNameSpellingTests.Pairs)
            {
                data.Add($"{label}: app A, policy B", "Caf\u00e9 " + a, "Caf\u00e9 " + b, where);
                data.Add($"{label}: app B, policy A", "Cafe\u0301 " + b, "Caf\u00e9 " + a, where);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Spellings))]
    public void A_policy_applies_to_the_app_it_names_in_another_spelling(string label, string appName, string reference, NamedIn where)
    {
        CasbConfiguration configuration = Seed();
        configuration.Apps[0].Name = appName;
        configuration.AccessPolicies[0].Apps = [reference];
        switch (where)
        {
            case NamedIn.ConditionalAccessPolicy:
                // Only this app goes through App Control; its downloads are blocked there.
                configuration.AccessPolicies.Clear();
                configuration.ConditionalAccessPolicies[0].Apps = [reference];
                configuration.ConditionalAccessPolicies[0].AppControlMode = AppControlMode.BlockDownloads;
                break;
            case NamedIn.SessionPolicy:
                configuration.AccessPolicies.Clear();
                configuration.SessionPolicies.Add(new SessionPolicyEntry
                {
                    Name = "No downloads", Apps = [reference], ControlType = SessionControlType.ControlFileDownload, Action = SessionPolicyAction.Block,
                });
                break;
        }

        Assert.Empty(ConfigurationValidator.Validate(configuration));
        var engine = new CasbEngine(configuration);
        AccessDecision decision = engine.Decide(new AccessRequest { Host = "mos.contoso.local", UserAgent = Edge, At = At }, NoCertificate);
        Assert.Equal(appName, decision.App);
        string shown = $"{label} ({where}): app {UserNameSpellingTests.Escaped(appName)}, policy names {UserNameSpellingTests.Escaped(reference)}";
        if (where == NamedIn.AccessPolicy)
        {
            Assert.True(AccessAction.Block == decision.Action, $"{shown}: {decision.Action}, not Block");
            Assert.Equal("Require certificate", decision.BlockingPolicy);
        }
        else
        {
            FileDecision download = engine.DecideFile(decision, new FileTransfer(FileTransferDirection.Download, "a.txt", 1));
            Assert.True(FileAction.Block == download.Action, $"{shown}: the download is {download.Action}, not Block");
        }

        // Test-CasbAccess -App in the policy's spelling finds the app, as Get-CasbApp does.
        AccessDecision byName = engine.Decide(new AccessRequest { AppName = reference, UserAgent = Edge, At = At }, NoCertificate);
        Assert.True(appName == byName.App, $"{shown}: -App in the policy's spelling decides for {UserNameSpellingTests.Escaped(byName.App)}");
    }

    /// <summary>
    /// Through a real gateway: the app is stored as 'Caf\u00e9 Mail', the Block policy's app list names it decomposed, as a
    /// copied or hand-edited store may (the store validates): the browser gets the policy's block page, the activity
    /// names the policy, and Test-CasbAccess -App in either spelling agrees.
    /// </summary>
    [Fact]
    public async Task The_gateway_blocks_by_a_policy_naming_its_app_in_another_spelling()
    {
        const string App = "Caf\u00e9 Mail", Reference = "CAFE\u0301 MAIL", Message = "Not from here.";
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.Apps[0].Name = App;
            c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
            {
                Name = "Through App Control", IncludeUsers = { "All" }, SessionControl = SessionControlKind.AppControl, AppControlMode = AppControlMode.UseCustomPolicy,
            });
            c.AccessPolicies.Add(new AccessPolicyEntry { Name = "Block the app", Action = AccessPolicyAction.Block, BlockMessage = Message, Apps = { Reference } });
        });

        RawResponse response = await RawHttps.SendAsync(
            harness.GatewayUrl, "/mail", [new("User-Agent", UserNameSpellingTests.Browser), new("Accept", "text/html")]);

        Assert.True(403 == response.Status, $"the gateway answered {response.Status}, not the block page of a policy naming {UserNameSpellingTests.Escaped(Reference)}");
        Assert.Contains($"<p class=\"message\">{Message}</p>", response.Body);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Block", "Block the app", App), (record.Action, record.BlockingPolicy, record.App));

        using var powerShell = new PowerShellHost();
        foreach (string app in new[] { App, Reference })
        {
            var (output, errors) = powerShell.Run(
                "Test-CasbAccess -StorePath $store -App $app -UserAgent $agent",
                new Dictionary<string, object?> { ["store"] = harness.StorePath, ["app"] = app, ["agent"] = UserNameSpellingTests.Browser });
            Assert.Empty(errors);
            var whatIf = (CasbModule.Types.CasbAccessDecision)Assert.Single(output).BaseObject;
            Assert.Equal((AccessAction.Block, "Block the app", Message), (whatIf.Action, whatIf.BlockingPolicy, whatIf.BlockMessage));
        }
    }
}
