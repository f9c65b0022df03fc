using System.Text;
using CasbCore;
using CasbCore.SignIn;
using CsCheck;
using Microsoft.IdentityModel.JsonWebTokens;

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
    [Fact]
    public void A_claim_named_twice_is_its_last_value_as_the_gateway_reads_the_token()
    {
        IReadOnlyList<KeyValuePair<string, string>> claims = SignInClaims.Parse("""{ "upn": "first@fabrikam.com", "groups": ["Vendors"], "upn": "last@fabrikam.com", "groups": ["Staff"] }""");

        Assert.Equal("last@fabrikam.com", SignInClaims.UserOf(claims, "upn"));
        Assert.Equal(["Staff"], SignInClaims.GroupsOf(claims, "groups"));
    }

    [Fact]
    public void Any_payload_gives_the_claims_the_gateways_token_handler_gives()
    {
        // The gateway's session is built from the ID token as Microsoft.IdentityModel reads it: a what-if of the same
        // payload must name the same user and groups, whatever names repeat.
        Gen<string> name = Gen.OneOf(Gen.Const("upn"), Gen.Const("preferred_username"), Gen.Const("groups"), Gen.Const("roles"));
        Gen<string> text = Gen.OneOf(Gen.Const("alice@contoso.com"), Gen.Const("bob@contoso.com"), Gen.Const("Vendors"), Gen.Const("Staff"), Gen.Const(" "));
        Gen<string> value = Gen.OneOf(
            text.Select(t => System.Text.Json.JsonSerializer.Serialize(t)),
            text.Array[0, 3].Select(a => System.Text.Json.JsonSerializer.Serialize(a)));
        Gen<string> payload = Gen.Select(name, value).Array[0, 6]
            .Select(members => "{" + string.Join(",", members.Select(m => System.Text.Json.JsonSerializer.Serialize(m.Item1) + ":" + m.Item2)) + "}");

        payload.Sample(json =>
        {
            static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            var token = new JsonWebToken(B64("""{"alg":"RS256"}""") + "." + B64(json) + ".c2ln");
            KeyValuePair<string, string>[] gateway = token.Claims.Select(c => new KeyValuePair<string, string>(c.Type, c.Value)).ToArray();
            IReadOnlyList<KeyValuePair<string, string>> whatIf = SignInClaims.Parse(json);
            foreach (string claim in new[] { "upn", "preferred_username" })
            {
                Assert.Equal(SignInClaims.UserOf(gateway, claim), SignInClaims.UserOf(whatIf, claim));
            }

            foreach (string claim in new[] { "groups", "roles" })
            {
                Assert.Equal(SignInClaims.GroupsOf(gateway, claim), SignInClaims.GroupsOf(whatIf, claim));
            }
        });
    }
}
