using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;
using CasbModule.Tests.Cmdlets;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

/// <summary>
/// "All" in a policy's users means every user, the anonymous one included, as it does in a conditional-access policy's
/// -IncludeUser: an admin who writes -User All on a blocking access or session policy must not get a policy for a user
/// literally named "All", which applies to no one.
/// </summary>
public sealed class AllUsersFilterTests
{
    public static TheoryData<string, string?> Spellings()
    {
        var data = new TheoryData<string, string?>();
        foreach (string all in new[] { "All", "all", " ALL ", "\uFF21\uFF2C\uFF2C" }) // fullwidth: "All" as names compare (width-mapped)
        {
            foreach (string? user in new[] { null, "vendor@contoso.com", "nobody@fabrikam.com", "All" })
            {
                data.Add(all, user);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Spellings))]
    public void An_access_policy_for_All_users_blocks_every_user_and_the_anonymous_one(string all, string? user)
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies[0].Users = [all];
        configuration.AccessPolicies[0].Groups = [];

        AccessDecision decision = Decide(configuration, Request(user: user));

        Assert.Equal(AccessAction.Block, decision.Action);
        Assert.Equal("Require certificate", decision.BlockingPolicy);
    }

    [Theory]
    [MemberData(nameof(Spellings))]
    public void A_session_policy_for_All_users_controls_every_user_and_the_anonymous_one(string all, string? user)
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies.Clear();
        configuration.SessionPolicies.Add(new SessionPolicyEntry
        {
            Name = "No downloads", Users = [all], Action = SessionPolicyAction.Block, ControlType = SessionControlType.ControlFileDownload,
        });
        var engine = new CasbCore.CasbEngine(configuration);
        AccessDecision session = engine.Decide(Request(user: user), NoCertificate);

        FileDecision file = engine.DecideFile(session, new FileTransfer(FileTransferDirection.Download, "report.xlsx", 10));

        Assert.Equal(FileAction.Block, file.Action);
    }

    [Fact]
    public void New_CasbAccessPolicy_User_all_stores_All_and_Test_CasbAccess_blocks_an_anonymous_request()
    {
        string store = Directory.CreateTempSubdirectory("casb-all-users-").FullName;
        try
        {
            using var host = new PowerShellHost();
            var variables = new Dictionary<string, object?> { ["store"] = store };
            host.Run(
                "Add-CasbApp -StorePath $store -Name Portal -Upstream http://127.0.0.1:8080 -Hostname portal.contoso.local; " +
                "New-CasbConditionalAccessPolicy -StorePath $store -Name Route -IncludeUser All -SessionControl AppControl", variables);

            var (_, errors) = host.Run(
                "New-CasbAccessPolicy -StorePath $store -Name 'Block unmanaged' -User all -DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual -Action Block -ClientApp Any",
                variables);
            var (output, whatIfErrors) = host.Run("Test-CasbAccess -StorePath $store -App Portal", variables);

            Assert.Empty(errors);
            Assert.Empty(whatIfErrors);
            Assert.Equal(["All"], Assert.Single(new CasbStore(store).Load().AccessPolicies).Users);
            var decision = (CasbModule.Types.CasbAccessDecision)Assert.Single(output).BaseObject;
            Assert.Equal(AccessAction.Block, decision.Action);
            Assert.Equal("Block unmanaged", decision.BlockingPolicy);
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }
}
