using System.Text;
using CasbCore;
using CasbCore.SignIn;

namespace CasbModule.Tests.SignIn;

/// <summary>Reading Entra ID's group-overage pointer from a token's claims, and the groups endpoint's answer.</summary>
public sealed class GroupOverageTests
{
    private static KeyValuePair<string, string>[] Claims(params (string Type, string Value)[] claims) =>
        claims.Select(c => new KeyValuePair<string, string>(c.Type, c.Value)).ToArray();

    private const string Names = """{"groups":"src1"}""";

    [Fact]
    public void A_token_with_groups_or_without_a_pointer_is_no_overage()
    {
        Assert.Null(GroupOverage.EndpointOf(Claims(("groups", "Vendors")), "groups"));
        Assert.Null(GroupOverage.EndpointOf(Claims(("upn", "a@contoso.com")), "groups"));
        Assert.Null(GroupOverage.EndpointOf(Claims(("_claim_names", Names), ("_claim_sources", """{"src1":{"endpoint":"https://graph.example/x"}}""")), "roles"));
        Assert.Null(GroupOverage.EndpointOf(Claims(("_claim_names", """{"other":"src1"}""")), "groups"));
    }

    [Theory]
    [InlineData("https://idp.contoso.local/graph/me/getMemberObjects", "https://idp.contoso.local/graph/me/getMemberObjects")]
    [InlineData("https://graph.windows.net/72f988bf/users/oid/getMemberObjects", "https://graph.microsoft.com/v1.0/me/getMemberObjects")]
    public void The_pointer_names_the_endpoint_and_retired_Azure_AD_Graph_is_read_at_Microsoft_Graph(string endpoint, string expected)
    {
        Uri? uri = GroupOverage.EndpointOf(Claims(("_claim_names", Names), ("_claim_sources", $$$"""{"src1":{"endpoint":"{{{endpoint}}}"}}""")), "groups");

        Assert.Equal(new Uri(expected), uri);
    }

    [Fact]
    public void Hasgroups_means_Microsoft_Graph()
    {
        Assert.Equal(GroupOverage.MicrosoftGraphMemberObjects, GroupOverage.EndpointOf(Claims(("hasgroups", "true")), "groups"));
    }

    [Theory]
    [InlineData("""{"src1":{"endpoint":"http://graph.example/x"}}""")]
    [InlineData("""{"src1":{"endpoint":"https://user:pw@graph.example/x"}}""")]
    [InlineData("""{"src1":{"endpoint":"/relative"}}""")]
    [InlineData("""{"src2":{"endpoint":"https://graph.example/x"}}""")]
    [InlineData("""{"src1":"https://graph.example/x"}""")]
    [InlineData("""not json""")]
    [InlineData("""[1]""")]
    public void A_pointer_that_cannot_be_followed_safely_is_refused(string sources)
    {
        CasbException error = Assert.Throws<CasbException>(() => GroupOverage.EndpointOf(Claims(("_claim_names", Names), ("_claim_sources", sources)), "groups"));

        Assert.Equal(GroupOverage.InvalidErrorId, error.ErrorId);
    }

    [Fact]
    public void The_answer_lists_group_ids_and_anything_else_is_refused()
    {
        Assert.Equal(["a", "b"], GroupOverage.ParseMemberObjects("""{"value":["a"," b "]}"""u8));
        foreach (string bad in new[] { """{"value":"a"}""", """{"value":[1]}""", """{"value":[""]}""", """[]""", "{", """{"other":[]}""" })
        {
            Assert.Equal(GroupOverage.InvalidErrorId, Assert.Throws<CasbException>(() => GroupOverage.ParseMemberObjects(Encoding.UTF8.GetBytes(bad))).ErrorId);
        }

        string tooMany = """{"value":[""" + string.Join(",", Enumerable.Repeat("\"g\"", GroupOverage.MaxGroups + 1)) + "]}";
        Assert.Equal(GroupOverage.InvalidErrorId, Assert.Throws<CasbException>(() => GroupOverage.ParseMemberObjects(Encoding.UTF8.GetBytes(tooMany))).ErrorId);
    }
}
