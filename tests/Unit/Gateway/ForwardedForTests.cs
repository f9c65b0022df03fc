using System.Net;
using CasbCore.Model;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The client address of a request from a trusted proxy is the right-most X-Forwarded-For entry. One the gateway cannot
/// read is an unknown address, in no range (as for any unknown address), never the proxy's own address: a proxy inside
/// the corporate network would otherwise put every outside client inside it.
/// </summary>
public sealed class ForwardedForTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("198.51.100.1, 203.0.113.7", "203.0.113.7")]
    [InlineData("203.0.113.7:50123", "203.0.113.7")] // Azure Application Gateway and IIS ARR append the client's port
    [InlineData("[2001:db8::5]:443", "2001:db8::5")]
    [InlineData("2001:db8::5", "2001:db8::5")]
    [InlineData("unknown", null)]
    [InlineData("_hidden", null)]
    [InlineData("203.0.113.7:", null)]
    [InlineData("203.0.113.7:99999", null)]
    [InlineData("10.0.0.1, ", null)]
    [InlineData("not an address", null)]
    public Task An_outside_client_behind_an_inside_proxy_is_never_taken_for_the_proxy(string forwardedFor, string? clientAddress) =>
        BlockedOutsideAsync(forwardedFor, null, clientAddress);

    /// <summary>
    /// A trusted proxy that writes RFC 7239 Forwarded: its right-most for= is the client, as X-Forwarded-For's right-most
    /// entry is. A proxy that writes one of the two passes on the client's own other one unchanged: when both say
    /// different things, the client is unknown, never the address the client wrote.
    /// </summary>
    [Theory]
    [InlineData(null, "for=203.0.113.7", "203.0.113.7")]
    [InlineData(null, "For=\"203.0.113.7:4711\";proto=https", "203.0.113.7")]
    [InlineData(null, "for=10.0.0.1, for=\"[2001:db8::5]:443\"", "2001:db8::5")]
    [InlineData(null, "for=10.0.0.1;by=x, proto=https", null)]
    [InlineData(null, "for=unknown", null)]
    [InlineData(null, "for=_hidden", null)]
    [InlineData(null, "for=10.0.0.1;for=203.0.113.7", null)]
    [InlineData("10.0.0.1", "for=203.0.113.7", null)]
    [InlineData("203.0.113.7", "for=10.0.0.1", null)]
    [InlineData("10.0.0.1, 203.0.113.7", "for=10.0.0.1, for=203.0.113.7", "203.0.113.7")]
    public Task A_forwarded_header_from_a_trusted_proxy_is_read_as_x_forwarded_for_is_and_a_disagreement_is_an_unknown_client(
        string? forwardedFor, string? forwarded, string? clientAddress) =>
        BlockedOutsideAsync(forwardedFor, forwarded, clientAddress);

    /// <summary>
    /// A trusted proxy that sends neither header relays a client it does not name: the client is unknown, not the proxy
    /// inside the office range (which put every client it relayed inside). Blank headers name no one either.
    /// </summary>
    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData(" ", "")]
    public Task A_trusted_proxy_that_names_no_client_relays_an_unknown_client_not_itself(string? forwardedFor, string? forwarded) =>
        BlockedOutsideAsync(forwardedFor, forwarded, null);

    private static async Task BlockedOutsideAsync(string? forwardedFor, string? forwarded, string? clientAddress)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.Settings.TrustedProxies.Add("127.0.0.0/8");
            c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
            {
                Name = "All via App Control", IncludeUsers = { "All" }, SessionControl = SessionControlKind.AppControl,
            });
            c.AccessPolicies.Add(new AccessPolicyEntry
            {
                Name = "Outside the corporate network",
                Action = AccessPolicyAction.Block,
                BlockMessage = "Connect to the corporate network.",
                ClientApp = AccessPolicyClientApp.Any,
                IPRanges = { "127.0.0.0/8", "10.0.0.0/8" },
                IPRangeOperator = IPRangeOperator.NotIn,
            });
        });
        using HttpClient client = harness.CreateClient();
        using var message = new HttpRequestMessage(HttpMethod.Get, "/mail");
        if (forwardedFor is not null)
        {
            message.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        if (forwarded is not null)
        {
            message.Headers.TryAddWithoutValidation("Forwarded", forwarded);
        }

        using HttpResponseMessage response = await client.SendAsync(message);
        string body = await response.Content.ReadAsStringAsync();

        Assert.True(HttpStatusCode.Forbidden == response.StatusCode, $"{forwardedFor} / {forwarded}: {(int)response.StatusCode} {body}");
        Assert.Contains("Connect to the corporate network.", body);
        Assert.Equal(clientAddress is null ? null : IPAddress.Parse(clientAddress), Assert.Single(harness.Decider.Requests).ClientAddress);
        CasbCore.Activity.ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(clientAddress, record.SourceIp);
    }
}
