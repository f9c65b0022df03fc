using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Catalogs;

public sealed class GroupCatalogTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Add_trims_and_deduplicates_members_and_refuses_a_taken_name()
    {
        CasbConfiguration configuration = Seed();

        GroupEntry group = GroupCatalog.Add(configuration, new GroupEntry { Name = " Admins ", Members = ["a@contoso.com ", "A@contoso.com"] }, Now);

        Assert.Equal("Admins", group.Name);
        Assert.Equal(["a@contoso.com"], group.Members);
        Assert.Equal("GroupExists", Assert.Throws<CasbException>(() => GroupCatalog.Add(configuration, new GroupEntry { Name = "VENDORS" }, Now)).ErrorId);
        Assert.Equal("InvalidUser", Assert.Throws<CasbException>(() => GroupCatalog.Add(configuration, new GroupEntry { Name = "X", Members = [" "] }, Now)).ErrorId);
    }

    [Fact]
    public void Members_are_added_and_removed_ignoring_case_and_repeats_change_nothing()
    {
        CasbConfiguration configuration = Seed();

        GroupCatalog.AddMembers(configuration, "vendors", ["VENDOR@contoso.com", "new@fabrikam.com"]);
        Assert.Equal(["vendor@contoso.com", "Other@Contoso.com", "new@fabrikam.com"], configuration.Groups[0].Members);

        GroupCatalog.RemoveMembers(configuration, "Vendors", ["other@contoso.com", "nobody@contoso.com"]);
        Assert.Equal(["vendor@contoso.com", "new@fabrikam.com"], configuration.Groups[0].Members);
        Assert.Equal("GroupNotFound", Assert.Throws<CasbException>(() => GroupCatalog.AddMembers(configuration, "Nope", ["x"])).ErrorId);
    }

    [Fact]
    public void A_group_a_policy_includes_or_excludes_is_not_removed()
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies[0].ExcludeGroups.Add("Vendors");
        configuration.ConditionalAccessPolicies[0].IncludeGroups.Add("vendors");

        CasbException error = Assert.Throws<CasbException>(() => GroupCatalog.Remove(configuration, "VENDORS"));

        Assert.Equal("GroupInUse", error.ErrorId);
        Assert.Contains("'Route to App Control', 'Require certificate'", error.Message);
        Assert.Single(configuration.Groups);

        configuration.AccessPolicies[0].ExcludeGroups.Clear();
        configuration.ConditionalAccessPolicies[0].IncludeGroups.Clear();
        Assert.Equal("Vendors", GroupCatalog.Remove(configuration, "vendors").Name);
        Assert.Empty(configuration.Groups);
    }
}
