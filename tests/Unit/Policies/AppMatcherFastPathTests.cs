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

    // The Host value as it was normalized before the lookup moved onto the stack: a copy of the string code, kept as the reference.
    private static string ReferenceHost(string host)
    {
        string h = host.Trim();
        if (h.StartsWith('['))
        {
            int close = h.IndexOf(']');
            h = close > 0 ? h[..(close + 1)] : h;
        }
        else
        {
            int colon = h.IndexOf(':');
            if (colon >= 0 && colon == h.LastIndexOf(':'))
            {
                h = h[..colon];
            }
        }

        h = h.Trim().TrimEnd('.');
        if (h.Length > 1 && h[0] == '[' && h[^1] == ']')
        {
            h = h[1..^1];
        }

        // An IP address, in any spelling, in its one canonical form (without a zone).
        h = h.ToLowerInvariant();
        if (h.Length > 0 && (char.IsAsciiDigit(h[0]) || h.Contains(':')) && System.Net.IPAddress.TryParse(h, out System.Net.IPAddress? address))
        {
            return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? new System.Net.IPAddress(address.GetAddressBytes()).ToString()
                : address.ToString();
        }

        return h;
    }

    private static readonly Gen<string> HostSpelling = Gen.Select(
        Gen.OneOf("portal.contoso.local", "PORTAL.Contoso.LOCAL", "x.contoso.local", "contoso.local", ".contoso.local", "127.0.0.1", "::1",
            "[::1]", "[fe80::1%eth0]", "portal.contoso.local.", "portal.contoso.loca", "\u0130stanbul.contoso.local", "K\u212Aelvin.contoso.local", ""),
        Gen.OneOf("", ":8443", ":", ":x", "]:1", "[", ". ", "..", " "),
        Gen.OneOf("", " ", "\t"),
        (host, suffix, space) => space + host + suffix + space);

    [Fact]
    public void A_host_normalized_on_the_stack_is_the_host_the_string_code_normalized()
    {
        Gen.OneOf(HostSpelling, Gen.String[0, 40]).Sample(host =>
        {
            Assert.Equal(ReferenceHost(host), AppMatcher.NormalizeHost(AppMatcher.StripPort(host)));
        }, iter: 5000);
    }

    [Fact]
    public void Every_spelling_of_a_host_finds_the_app_its_normalized_form_finds()
    {
        // The apps by normalized host, as the matcher's exact and wildcard routes would find them for "/".
        string? Expected(string host) => ReferenceHost(host) switch
        {
            "portal.contoso.local" => "Root",
            "127.0.0.1" or "::1" => "Loopback",
            var h when h.Length > ".contoso.local".Length && h.EndsWith(".contoso.local", StringComparison.Ordinal) && h[0] != '.' => null,
            _ => null,
        };

        var apps = new AppMatcher(
        [
            new AppEntry { Name = "Root", Upstream = "https://127.0.0.1:9001", Hostnames = ["portal.contoso.local"] },
            new AppEntry { Name = "Loopback", Upstream = "https://127.0.0.1:9002", Hostnames = ["127.0.0.1", "::1"] },
            new AppEntry { Name = "Wild", Upstream = "https://127.0.0.1:9004", Hostnames = ["*.contoso.local"], PathPrefix = "/owa" },
        ]);
        HostSpelling.Sample(host =>
        {
            Assert.Equal(Expected(host), apps.Find(host, "/")?.Name);
            string wild = ReferenceHost(host);
            bool wildcard = wild.Length > ".contoso.local".Length && wild.EndsWith(".contoso.local", StringComparison.Ordinal) && wild[0] != '.';
            Assert.Equal(wild == "portal.contoso.local" ? "Root" : wildcard ? "Wild" : Expected(host), apps.Find(host, "/owa/x")?.Name);
        }, iter: 3000);
    }

    [Theory]
    [InlineData("/MAIL/inbox/today", "Inbox")]
    [InlineData("/mail", "Mail")]
    [InlineData("/mailbox", "Root")]
    public void The_case_of_a_canonical_path_does_not_matter(string path, string app) =>
        Assert.Equal(app, Apps.Find("portal.contoso.local", path)?.Name);
}
