using System.Net;
using CasbGateway.Enforcement;
using CsCheck;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The gateway sends the upstream its own Host, so an app that writes absolute redirects writes its own internal
/// address: followed as is, the browser leaves the gateway (and its enforcement) for the upstream.
/// </summary>
public sealed class UpstreamRedirectTests
{
    // {0} is the upstream's origin, {1} the gateway's; each row: what the app answers, what the client must see.
    public static TheoryData<string, string, string, string> Redirects() => new()
    {
        { "1.1", "Location", "{0}/next?q=1#top", "{1}/next?q=1#top" },
        { "2.0", "Location", "{0}/next", "{1}/next" },
        { "1.1", "Location", "{0}", "{1}/" },
        { "1.1", "Location", "{0}/base/deeper", "{1}/base/deeper" },
        { "2.0", "Content-Location", "{0}/doc.json", "{1}/doc.json" },
        { "1.1", "Location", "{0U}/upper", "{1}/upper" },
        { "1.1", "Location", "/relative", "/relative" },
        { "1.1", "Location", "https://login.contoso.com/authorize", "https://login.contoso.com/authorize" },
        { "2.0", "Location", "http://127.0.0.2:1/elsewhere", "http://127.0.0.2:1/elsewhere" },
        { "1.1", "Refresh", "0; url={0}/next", "0; url={1}/next" },
        { "2.0", "Refresh", "5;URL='{0}/base?x=1'", "5;URL='{1}/base?x=1'" },
        { "1.1", "Refresh", "3", "3" },
        { "1.1", "Refresh", "0; url=/relative", "0; url=/relative" },
        { "1.1", "Location", "{0S}/scheme-relative", "{1}/scheme-relative" },
        { "2.0", "Location", "{0B}/backslashes", "{1}/backslashes" },
    };

    [Theory]
    [MemberData(nameof(Redirects))]
    public async Task A_redirect_to_the_upstream_s_own_address_points_at_the_gateway_instead(string version, string header, string answered, string expected)
    {
        string origin = "";
        await using FileUpstream upstream = await FileUpstream.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers[header] = Fill(answered, origin, "");
            return Task.CompletedTask;
        });
        origin = upstream.Url;
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient(version: Version.Parse(version));

        using HttpResponseMessage response = await client.GetAsync("/page");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        string gateway = harness.GatewayUrl.GetLeftPart(UriPartial.Authority);
        string seen = header == "Content-Location"
            ? Assert.Single(response.Content.Headers.GetValues(header))
            : Assert.Single(response.Headers.GetValues(header));
        Assert.Equal(Fill(expected, origin, gateway), seen);
        Assert.DoesNotContain(new Uri(origin).Authority, seen);
    }

    [Theory]
    [InlineData("http://10.0.0.5:8080/base/next", "https://portal.contoso.com/next")]
    [InlineData("http://10.0.0.5:8080/base", "https://portal.contoso.com/")]
    [InlineData("http://10.0.0.5:8080/base?x=1", "https://portal.contoso.com/?x=1")]
    [InlineData("http://10.0.0.5:8080/basement", "https://portal.contoso.com/basement")]
    [InlineData("http://10.0.0.5:8080/other", "https://portal.contoso.com/other")]
    [InlineData("http://user@10.0.0.5:8080/base/a", "https://portal.contoso.com/a")]
    [InlineData("http://10.0.0.5/base/a", "http://10.0.0.5/base/a")]
    // The upstream's own host and port under the scheme the app was told (X-Forwarded-Proto) or the browser's.
    [InlineData("https://10.0.0.5:8080/base/a", "https://portal.contoso.com/a")]
    [InlineData("//10.0.0.5:8080/base/a", "https://portal.contoso.com/a")]
    [InlineData("//10.0.0.5/base/a", "//10.0.0.5/base/a")]
    [InlineData("https://10.0.0.5/base/a", "https://10.0.0.5/base/a")]
    [InlineData("https:next", "https:next")]
    [InlineData("http:10.0.0.5:8080/base/a", "https://portal.contoso.com/a")]
    [InlineData("mailto:a@10.0.0.5", "mailto:a@10.0.0.5")]
    [InlineData("not a url", "not a url")]
    public void An_upstream_path_put_in_front_of_the_request_s_is_taken_off_again(string answered, string expected)
    {
        Assert.Equal(expected, ForwardingTransformer.ToGatewayAddress(answered, new Uri("http://10.0.0.5:8080/base/"), "https://portal.contoso.com").ToString());
    }

    /// <summary>
    /// Every way of writing the upstream's address that a browser follows to the upstream (WHATWG URL parsing: any case,
    /// scheme-relative, '\' as '/', tabs and newlines dropped, any number of slashes after a scheme other than the page's,
    /// an IPv6 literal in any of its spellings, the default port written out) comes back at the gateway's address.
    /// </summary>
    [Fact]
    public void Property_every_spelling_a_browser_follows_to_the_upstream_points_at_the_gateway()
    {
        const string gateway = "https://portal.contoso.com";
        (Uri Upstream, string[] Hosts, string[] Ports)[] upstreams =
        {
            (new Uri("http://10.0.0.5:8080/base/"), new[] { "10.0.0.5", "10.0.0.5.", "0x0a.0.0.5", "012.0.0.5", "10.0.5", "167772165" }, new[] { ":8080" }),
            (new Uri("https://[2001:db8::5]:8443/"), new[] { "[2001:db8::5]", "[2001:DB8::5]", "[2001:db8:0:0:0:0:0:5]", "[2001:0db8::0005]" }, new[] { ":8443" }),
            (new Uri("https://app.internal/"), new[] { "app.internal", "APP.Internal", "app.internal.", "app%2Einternal" }, new[] { "", ":443" }),
        };
        Gen.Select(Gen.Int[0, upstreams.Length - 1], Gen.Int[0, 3], Gen.OneOf("//", "\\\\", "/\\", "\\/"), Gen.Int[0, 9], Gen.Int[0, 9],
                Gen.OneOf("/base/next?q=1#top", "/x", "?q", ""))
            .Select(t =>
            {
                (Uri upstream, string[] hosts, string[] ports) = upstreams[t.Item1];
                string scheme = t.Item2 switch { 0 => "", 1 => upstream.Scheme + ":", 2 => upstream.Scheme.ToUpperInvariant() + ":", _ => "http:" };
                // Another scheme's default port is another port: written out, it is the upstream's.
                string port = ports[t.Item5 % ports.Length] is { Length: 0 } && scheme == "http:" && upstream.Scheme == "https" ? ":443" : ports[t.Item5 % ports.Length];
                string spelled = scheme + t.Item3 + hosts[t.Item4 % hosts.Length] + port + t.Item6;
                // A tab or newline anywhere in the scheme or slashes: browsers drop them.
                int at = t.Item5 % (scheme.Length + 3);
                return (upstream, t.Item4 % 3 == 0 ? spelled.Insert(at, t.Item5 % 2 == 0 ? "\t" : "\n") : spelled, t.Item6);
            })
            .Sample(t =>
            {
                string seen = ForwardingTransformer.ToGatewayAddress(t.Item2, t.upstream, gateway).ToString();
                Assert.True(seen.StartsWith(gateway + "/", StringComparison.Ordinal) && seen.EndsWith(t.Item3.Replace("/base", ""), StringComparison.Ordinal),
                    $"{t.upstream} answered {t.Item2}: the client saw {seen}");
            }, iter: 20_000);
    }

    private static string Fill(string template, string upstream, string gateway) =>
        template.Replace("{0U}", upstream.ToUpperInvariant())
            .Replace("{0S}", upstream[upstream.IndexOf("//", StringComparison.Ordinal)..])
            .Replace("{0B}", upstream.Replace("/", "\\"))
            .Replace("{0}", upstream).Replace("{1}", gateway);
}
