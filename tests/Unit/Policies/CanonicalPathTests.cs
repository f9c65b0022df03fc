using CasbCore;
using CasbCore.Policies;

namespace CasbModule.Tests.Policies;

/// <summary>The one canonical request path: what is normalized, what is refused, and the two spellings of the result.</summary>
public sealed class CanonicalPathTests
{
    [Theory]
    [InlineData("/", "/", "/", "")]
    [InlineData("", "/", "/", "")]
    [InlineData(null, "/", "/", "")]
    [InlineData("//admin/secret", "/admin/secret", "/admin/secret", "")]
    [InlineData("/.//admin/secret", "/admin/secret", "/admin/secret", "")]
    [InlineData("///", "/", "/", "")]
    [InlineData("/a/./b/../c", "/a/c", "/a/c", "")]
    [InlineData("/../../admin", "/admin", "/admin", "")]
    [InlineData("/admin/", "/admin/", "/admin/", "")]
    [InlineData("/admin//", "/admin/", "/admin/", "")]
    [InlineData("/admin/.", "/admin/", "/admin/", "")]
    [InlineData("/admin/x/..", "/admin/", "/admin/", "")]
    [InlineData("/a?x=1&next=/admin#top", "/a", "/a", "?x=1&next=/admin")]
    [InlineData("/a#top?x", "/a", "/a", "")]
    [InlineData("/a?%zz;\\", "/a", "/a", "?%zz;\\")]
    [InlineData("/caf%c3%a9", "/café", "/caf%C3%A9", "")]
    [InlineData("/%61dmin/%7Euser", "/admin/~user", "/admin/~user", "")]
    [InlineData("/a%20b/%22q%22", "/a b/\"q\"", "/a%20b/%22q%22", "")]
    [InlineData("/a%3Fb%23c", "/a?b#c", "/a%3Fb%23c", "")]
    [InlineData("/a|b", "/a|b", "/a%7Cb", "")]
    [InlineData("/a'b!$&()*+,=:@c", "/a'b!$&()*+,=:@c", "/a'b!$&()*+,=:@c", "")]
    [InlineData("/.well-known/x", "/.well-known/x", "/.well-known/x", "")]
    [InlineData("/v1.2/a..b", "/v1.2/a..b", "/v1.2/a..b", "")]
    [InlineData("https://portal.contoso.local:8443//admin/./x?y=1", "/admin/x", "/admin/x", "?y=1")]
    [InlineData("HTTP://portal.contoso.local", "/", "/", "")]
    [InlineData("https://portal.contoso.local?q", "/", "/", "?q")]
    [InlineData("https://user@portal.contoso.local/a", "/a", "/a", "")]
    public void Normalizes_to_one_form(string? target, string value, string escaped, string query)
    {
        Assert.True(RequestPath.TryParse(target, out RequestPath? path, out string? problem), problem);

        Assert.Equal(value, path.Value);
        Assert.Equal(escaped, path.Escaped);
        Assert.Equal(query, path.Query);

        // The canonical form is a fixed point: what the gateway forwards canonicalizes to itself.
        Assert.True(RequestPath.TryParse(path.Escaped, out RequestPath? again, out _));
        Assert.Equal(path.Escaped, again.Escaped);
        Assert.Equal(path.Value, again.Value);
    }

    [Theory]
    [InlineData("/admin%2Fsecret", "encoded '/' (%2F)")]
    [InlineData("/admin%2fsecret", "encoded '/' (%2F)")]
    [InlineData("/admin\\secret", "backslash")]
    [InlineData("\\admin", "not a path")]
    [InlineData("https://portal.contoso.local\\admin", "backslash")]
    [InlineData("/admin%5Csecret", "encoded backslash (%5C)")]
    [InlineData("/admin;jsessionid=1/secret", "';' path parameter")]
    [InlineData("/admin;/secret", "';' path parameter")]
    [InlineData("/admin%3Bx/secret", "encoded ';' (%3B)")]
    [InlineData("/%2e%2e/admin", "encoded '.' or '..' segment")]
    [InlineData("/x/.%2E/admin", "encoded '.' or '..' segment")]
    [InlineData("/%2E/admin", "encoded '.' or '..' segment")]
    [InlineData("/admin%252Fsecret", "encoded '%' (%25)")]
    [InlineData("/100%25", "encoded '%' (%25)")]
    [InlineData("/a%00b", "control character")]
    [InlineData("/a%0D%0Ab", "control character")]
    [InlineData("/a%7F", "control character")]
    [InlineData("/a%C2%85", "control character")]
    [InlineData("/a\tb", "control character")]
    [InlineData("/%C0%AF", "not valid UTF-8")]
    [InlineData("/%C0%AE%C0%AE/admin", "not valid UTF-8")]
    [InlineData("/%E0%80%AF", "not valid UTF-8")]
    [InlineData("/%ED%A0%80", "not valid UTF-8")]
    [InlineData("/%FF", "not valid UTF-8")]
    [InlineData("/%C3", "not valid UTF-8")]
    [InlineData("/a%zz", "does not start an escape")]
    [InlineData("/a%4", "does not start an escape")]
    [InlineData("/a%", "does not start an escape")]
    [InlineData("/admin./secret", "ends with '.' or a space")]
    [InlineData("/admin.", "ends with '.' or a space")]
    [InlineData("/.../admin", "ends with '.' or a space")]
    [InlineData("/admin%2E/secret", "ends with '.' or a space")]
    [InlineData("/admin%20/secret", "ends with '.' or a space")]
    [InlineData("/%EF%BC%8Fadmin", "fold into an ASCII one")]
    [InlineData("/%EF%BD%81dmin", "fold into an ASCII one")]
    [InlineData("/%E2%84%AAey", "fold into an ASCII one")]
    [InlineData("/admin%C2%A0", "fold into an ASCII one")]
    [InlineData("/ad%E2%80%8Bmin", "fold into an ASCII one")]
    [InlineData("/%E2%80%AEnimda", "fold into an ASCII one")]
    [InlineData("/%E3%80%82", "fold into an ASCII one")]
    [InlineData("/%E2%88%95admin", "fold into an ASCII one")]
    [InlineData("/%C2%A5", "fold into an ASCII one")]
    [InlineData("/%E2%85%A0", "fold into an ASCII one")]
    [InlineData("/%F0%9D%90%9Admin", "fold into an ASCII one")]
    [InlineData("*", "not a path")]
    [InlineData("portal.contoso.local:443", "not a path")]
    [InlineData("admin/secret", "not a path")]
    public void Refuses_what_upstreams_read_in_different_ways(string target, string fragment)
    {
        Assert.False(RequestPath.TryParse(target, out RequestPath? path, out string? problem));

        Assert.Null(path);
        Assert.Contains(fragment, problem);
        CasbException error = Assert.Throws<CasbException>(() => RequestPath.Parse(target));
        Assert.Equal("RequestPathAmbiguous", error.ErrorId);
        Assert.Equal(CasbErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void Refuses_a_lone_surrogate_typed_into_a_URL()
    {
        Assert.False(RequestPath.TryParse("/a\uD800b", out _, out string? problem));

        Assert.Contains("not valid Unicode", problem);
    }

    [Theory]
    [InlineData("/caf%C3%A9/%E2%82%AC", "/café/€")]
    [InlineData("/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82", "/привет")]
    [InlineData("/%E6%97%A5%E6%9C%AC", "/日本")]
    [InlineData("/k%C4%B1l%C4%B1%C3%A7", "/kılıç")]
    [InlineData("/%E0%A4%B9%E0%A4%BF%E0%A4%A8%E0%A5%8D%E0%A4%A6%E0%A5%80", "/हिन्दी")]
    public void Ordinary_letters_of_any_script_pass(string target, string value)
    {
        Assert.True(RequestPath.TryParse(target, out RequestPath? path, out string? problem), problem);

        Assert.Equal(value, path.Value);
        Assert.Equal(target, path.Escaped);
    }

    [Theory]
    [InlineData("/ADMIN", "/admin", true)]
    [InlineData("/admin/x", "/admin", true)]
    [InlineData("/adminx", "/admin", false)]
    [InlineData("/\u0130stanbul/x", "/istanbul", true)]
    [InlineData("/\u0131stanbul", "/ISTANBUL", true)]
    [InlineData("/\u017Fecret", "/SECRET", true)]
    [InlineData("/caf\u00c9", "/caf\u00e9", true)]
    [InlineData("/anything", "/", true)]
    public void Prefixes_compare_case_insensitively_under_upper_and_lower_case_folding(string path, string prefix, bool under)
    {
        Assert.Equal(under, RequestPath.IsUnder(RequestPath.FoldCase(prefix), RequestPath.FoldCase(path)));
    }
}
