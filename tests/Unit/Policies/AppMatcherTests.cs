using CasbCore.Model;
using CasbCore.Policies;

namespace CasbModule.Tests.Policies;

public sealed class AppMatcherTests
{
    private static readonly AppMatcher Matcher = new(
    [
        App("Exact", "/", "portal.contoso.local"),
        App("Exact admin", "/admin", "portal.contoso.local"),
        App("Wildcard", "/", "*.contoso.local"),
        App("Longer wildcard", "/", "*.apps.contoso.local"),
        App("Wildcard app path", "/app/", "*.contoso.local"),
        App("Loopback", "/", "127.0.0.1", "[::1]"),
        App("No hostnames", "/"),
    ]);

    [Theory]
    [InlineData("portal.contoso.local", "/", "Exact")]
    [InlineData("PORTAL.Contoso.Local:8443", "/", "Exact")]
    [InlineData("portal.contoso.local.", "/x", "Exact")]
    [InlineData("portal.contoso.local", "/admin", "Exact admin")]
    [InlineData("portal.contoso.local", "/admin/users", "Exact admin")]
    [InlineData("portal.contoso.local", "/ADMIN/users", "Exact admin")]
    [InlineData("portal.contoso.local", "/administrator", "Exact")]
    [InlineData("portal.contoso.local", "/admin?x=1", "Exact admin")]
    [InlineData("portal.contoso.local", "", "Exact")]
    [InlineData("portal.contoso.local", "//admin/users", "Exact admin")]
    [InlineData("portal.contoso.local", "/.//admin", "Exact admin")]
    [InlineData("portal.contoso.local", "/x/../admin/users", "Exact admin")]
    [InlineData("portal.contoso.local", "/adm%69n/users", "Exact admin")]
    [InlineData("portal.contoso.local", "/ADM\u0130N", "Exact admin")]
    [InlineData("portal.contoso.local", "/admin%2Fusers", null)]
    [InlineData("portal.contoso.local", "/admin;x/users", null)]
    [InlineData("portal.contoso.local", "/admin./users", null)]
    [InlineData("other.contoso.local", "/", "Wildcard")]
    [InlineData("a.b.contoso.local", "/", "Wildcard")]
    [InlineData("x.apps.contoso.local", "/", "Longer wildcard")]
    [InlineData("x.apps.contoso.local", "/app/x", "Longer wildcard")]
    [InlineData("other.contoso.local", "/app", "Wildcard app path")]
    [InlineData("other.contoso.local", "/app/x", "Wildcard app path")]
    [InlineData("other.contoso.local", "/apple", "Wildcard")]
    [InlineData("127.0.0.1:8443", "/", "Loopback")]
    [InlineData("[::1]:8443", "/", "Loopback")]
    [InlineData("[::1]", "/", "Loopback")]
    [InlineData("contoso.local", "/", null)]
    [InlineData("evilcontoso.local", "/", null)]
    [InlineData("portal.fabrikam.local", "/", null)]
    [InlineData("", "/", null)]
    [InlineData(null, "/", null)]
    public void The_most_specific_app_wins(string? host, string path, string? expected)
    {
        Assert.Equal(expected, Matcher.Find(host, path)?.Name);
    }

    [Fact]
    public void A_stored_prefix_the_validator_refuses_stops_the_compile_with_its_error_id()
    {
        CasbCore.CasbException error = Assert.Throws<CasbCore.CasbException>(() => new AppMatcher([App("Escaped", "/admin%2Fx", "a.local")]));

        Assert.Equal("EscapedPathPrefix", error.ErrorId);
        Assert.Contains("Set-CasbApp -Name 'Escaped' -PathPrefix", error.Message);
    }

    [Fact]
    public void Apps_are_found_by_name_case_insensitively_including_apps_without_hostnames()
    {
        Assert.Equal("No hostnames", Matcher.FindByName("NO HOSTNAMES")?.Name);
        Assert.Null(Matcher.FindByName("Missing"));
    }

    [Fact]
    public void Two_apps_on_the_same_route_resolve_to_the_first_listed()
    {
        var matcher = new AppMatcher([App("First", "/", "a.local"), App("Second", "/", "A.LOCAL")]);

        Assert.Equal("First", matcher.Find("a.local", "/")?.Name);
    }

    private static AppEntry App(string name, string prefix, params string[] hostnames) =>
        new() { Name = name, Upstream = "http://127.0.0.1:1", PathPrefix = prefix, Hostnames = [.. hostnames] };
}
