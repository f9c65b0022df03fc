using System.Text;
using CasbCore;
using CasbCore.SignIn;

namespace CasbModule.Tests.SignIn;

public sealed class SignInClaimsTests
{
    [Fact]
    public void A_json_object_gives_one_claim_per_value()
    {
        IReadOnlyList<KeyValuePair<string, string>> claims = SignInClaims.Parse("""{ "upn": "bob@fabrikam.com", "groups": ["Vendors", "Staff"], "exp": 1700000000, "x": null }""");

        Assert.Equal(
            [new("upn", "bob@fabrikam.com"), new("groups", "Vendors"), new("groups", "Staff"), new("exp", "1700000000")],
            claims);
    }

    [Fact]
    public void A_jwt_is_read_by_its_payload()
    {
        static string B64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        string jwt = B64("""{"alg":"RS256"}""") + "." + B64("""{"preferred_username":"bob@fabrikam.com","groups":["Vendors"]}""") + ".c2lnbmF0dXJl";

        IReadOnlyList<KeyValuePair<string, string>> claims = SignInClaims.Parse(jwt);

        Assert.Equal("bob@fabrikam.com", SignInClaims.UserOf(claims, "preferred_username"));
        Assert.Equal(["Vendors"], SignInClaims.GroupsOf(claims, "groups"));
    }

    [Theory]
    [InlineData("not claims")]
    [InlineData("[1, 2]")]
    [InlineData("{ broken")]
    [InlineData("a.%%%.c")]
    public void Anything_else_is_InvalidClaims(string text)
    {
        CasbException ex = Assert.Throws<CasbException>(() => SignInClaims.Parse(text));
        Assert.Equal(SignInClaims.InvalidClaimsErrorId, ex.ErrorId);
    }

    [Fact]
    public void Groups_are_distinct_ignoring_case_and_trimmed()
    {
        KeyValuePair<string, string>[] claims = [new("groups", " Vendors "), new("groups", "vendors"), new("groups", ""), new("roles", "Admin")];

        Assert.Equal(["Vendors"], SignInClaims.GroupsOf(claims, "groups"));
        Assert.Equal(["Admin"], SignInClaims.GroupsOf(claims, "roles"));
    }
}
