using CasbCore.Model;
using CasbCore.Policies;
using CsCheck;

namespace CasbModule.Tests.Policies;

/// <summary>
/// <see cref="AppMatcher.Find"/> matches a path the gateway passes in canonical form without allocating; any other
/// target goes through <see cref="RequestPath.TryParse"/>. Appending a query forces the second way: both must find
/// the same app for every path.
/// </summary>
public sealed class AppMatcherFastPathTests
{
    private static readonly AppMatcher Apps = new(
    [
        new AppEntry { Name = "Root", Upstream = "https://127.0.0.1:9001", Hostnames = ["portal.contoso.local"] },
        new AppEntry { Name = "Mail", Upstream = "https://127.0.0.1:9002", Hostnames = ["portal.contoso.local"], PathPrefix = "/Mail" },
        new AppEntry { Name = "Inbox", Upstream = "https://127.0.0.1:9003", Hostnames = ["portal.contoso.local"], PathPrefix = "/mail/INBOX/" },
        new AppEntry { Name = "Wild", Upstream = "https://127.0.0.1:9004", Hostnames = ["*.contoso.local"], PathPrefix = "/owa" },
    ]);

    [Fact]
    public void A_canonical_path_finds_the_same_app_as_the_canonicalized_target()
    {
        Gen<string> segment = Gen.OneOf("mail", "MAIL", "Mail", "inbox", "Inbox", "owa", "OWA", "x.y", "~u", "a-b", "mailbox", "", ".", "..", "%41");
        Gen.Select(segment.Array[0, 5], Gen.Bool, Gen.OneOf("portal.contoso.local", "x.contoso.local", "PORTAL.contoso.local"))
            .Sample(sample =>
            {
                (string[] segments, bool trailingSlash, string host) = sample;
                string path = "/" + string.Join('/', segments) + (trailingSlash && segments.Length > 0 ? "/" : "");

                Assert.Equal(Apps.Find(host, path + "?q=1")?.Name, Apps.Find(host, path)?.Name);
            }, iter: 2000);
    }

    [Theory]
    [InlineData("/MAIL/inbox/today", "Inbox")]
    [InlineData("/mail", "Mail")]
    [InlineData("/mailbox", "Root")]
    public void The_case_of_a_canonical_path_does_not_matter(string path, string app) =>
        Assert.Equal(app, Apps.Find("portal.contoso.local", path)?.Name);
}
