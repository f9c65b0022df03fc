using CasbCore.Model;
using CasbCore.Policies;
using CsCheck;

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

    /// <summary>
    /// Every spelling of an IPv4 address that System.Uri (Test-CasbAccess) reads as one (dotted parts of 1 to 4, each
    /// decimal, octal or hex) reaches the app listed under the address, as its canonical spelling does, at the gateway too.
    /// </summary>
    [Fact]
    public void Every_spelling_of_an_IPv4_address_reaches_the_app_of_its_canonical_form()
    {
        var matcher = new AppMatcher([App("Lab", "/", "10.0.0.5"), App("Spelled", "/", "010.000.000.006"), App("Wide", "/", "*.0.5")]);
        Gen<uint> address = Gen.OneOf(Gen.Const(0x0A000005u), Gen.Const(0x08000006u), Gen.UInt);
        Gen.Select(address, Gen.Int[1, 4], Gen.Int[0, 2].Array[4]).Sample((value, parts, radixes) =>
        {
            // parts 1..4 as inet_aton reads them: the last part holds the remaining bytes.
            uint[] values = parts switch
            {
                1 => [value],
                2 => [value >> 24, value & 0xFFFFFF],
                3 => [value >> 24, (value >> 16) & 0xFF, value & 0xFFFF],
                _ => [value >> 24, (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF],
            };
            string spelled = string.Join('.', values.Select((v, i) => radixes[i] switch
            {
                1 => "0" + Convert.ToString(v, 8),
                2 => "0x" + Convert.ToString(v, 16),
                _ => v.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }));
            string canonical = new Uri($"https://{spelled}/").IdnHost;

            Assert.Equal(new System.Net.IPAddress(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value)).ToString(), canonical);
            Assert.Equal(matcher.Find(canonical, "/")?.Name, matcher.Find(spelled, "/")?.Name);
            Assert.Equal(matcher.Find(canonical, "/")?.Name, matcher.Find(spelled + ".:8443", "/")?.Name);
        }, iter: 2000);

        Assert.Equal("Lab", matcher.Find("0xa.5", "/")?.Name);
        // Its leading zeros make "010.000.000.006" octal, as System.Uri and inet_aton read it: 8.0.0.6.
        Assert.Equal("Spelled", matcher.Find("8.0.0.6", "/")?.Name);
        Assert.Null(matcher.Find("10.0.0.6", "/"));
        Assert.Equal("Wide", matcher.Find("10.1.0.5", "/")?.Name);
    }

    [Theory]
    [InlineData("[0:0::1]:8443", "Loopback")]
    [InlineData("[0000:0000:0000:0000:0000:0000:0000:0001]", "Loopback")]
    [InlineData("0:0::1", "Loopback")]
    [InlineData("127.1", "Loopback")]
    [InlineData("2130706433:443", "Loopback")]
    [InlineData("127.0.0.1.", "Loopback")]
    [InlineData("1password.contoso.local", "Wildcard")]
    public void Other_spellings_of_an_address_reach_its_app(string host, string expected) =>
        Assert.Equal(expected, Matcher.Find(host, "/")?.Name);

    /// <summary>
    /// Generated sets of apps on overlapping hosts and prefixes: a request under an app's own host and path prefix that
    /// reaches another app with a shorter prefix is exactly what <see cref="AppMatcher.Shadows"/> reports (Add-CasbApp and
    /// Set-CasbApp warn of it), and every shadow it reports is such a request.
    /// </summary>
    [Fact]
    public void Shadows_are_exactly_the_requests_a_more_specific_host_takes_from_a_longer_prefix()
    {
        string[] patterns = ["a.contoso.local", "*.contoso.local", "*.a.contoso.local", "b.contoso.local", "*.b.contoso.local"];
        string[] concrete = ["a.contoso.local", "x.a.contoso.local", "y.x.a.contoso.local", "b.contoso.local", "x.b.contoso.local", "c.contoso.local"];
        string[] prefixes = ["/", "/admin", "/admin/x", "/api", "/API/"];
        Gen<AppEntry[]> apps = Gen.Select(Gen.OneOf(patterns).Array[1, 2], Gen.OneOf(prefixes), (hosts, prefix) => (hosts, prefix))
            .Array[2, 5]
            .Select(list => list.Select((a, i) => App($"App{i}", a.prefix, [.. a.hosts.Distinct()])).ToArray());

        apps.Sample(list =>
        {
            var matcher = new AppMatcher(list);
            var reported = list.SelectMany(a => AppMatcher.Shadows(list, a.Name)).Select(s => (s.Winner.Name, s.Loser.Name)).ToHashSet();
            var seen = new HashSet<(string, string)>();
            foreach (AppEntry loser in list)
            {
                string prefix = AppMatcher.NormalizePathPrefix(loser.PathPrefix);
                foreach (string host in concrete.Where(h => loser.Hostnames.Any(p => Covers(p, h))))
                {
                    AppEntry? found = matcher.Find(host, prefix == "/" ? "/z" : prefix + "/z");
                    Assert.NotNull(found);
                    if (found != loser && AppMatcher.NormalizePathPrefix(found.PathPrefix).Length < prefix.Length)
                    {
                        Assert.Contains((found.Name, loser.Name), reported);
                        seen.Add((found.Name, loser.Name));
                    }
                }
            }

            // Every report is a request that goes astray (on one of the generated concrete hosts).
            Assert.Equal(reported.OrderBy(p => p).ToList(), seen.OrderBy(p => p).ToList());
        }, iter: 3000);

        static bool Covers(string pattern, string host) =>
            pattern.StartsWith("*.", StringComparison.Ordinal) ? host.EndsWith(pattern[1..], StringComparison.Ordinal) : host == pattern;
    }
}
