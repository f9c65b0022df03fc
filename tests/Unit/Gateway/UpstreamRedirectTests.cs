using System.Net;
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
        string seen = header == "Location"
            ? Assert.Single(response.Headers.GetValues(header))
            : Assert.Single(response.Content.Headers.GetValues(header));
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
    [InlineData("https://10.0.0.5:8080/base/a", "https://10.0.0.5:8080/base/a")]
    [InlineData("//10.0.0.5:8080/base/a", "//10.0.0.5:8080/base/a")]
    [InlineData("not a url", "not a url")]
    public void An_upstream_path_put_in_front_of_the_request_s_is_taken_off_again(string answered, string expected)
    {
        Assert.Equal(expected, CasbGateway.Enforcement.ForwardingTransformer.ToGatewayAddress(answered, new Uri("http://10.0.0.5:8080/base/"), "https://portal.contoso.com").ToString());
    }

    private static string Fill(string template, string upstream, string gateway) =>
        template.Replace("{0U}", upstream.ToUpperInvariant()).Replace("{0}", upstream).Replace("{1}", gateway);
}
