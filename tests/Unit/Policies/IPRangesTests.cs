using System.Net;
using CasbCore.Policies;

namespace CasbModule.Tests.Policies;

public sealed class IPRangesTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("203.0.113.7", "203.0.113.7", true)]
    [InlineData("203.0.113.7", "203.0.113.8", false)]
    [InlineData("203.0.113.7/32", "203.0.113.7", true)]
    [InlineData("0.0.0.0/0", "198.51.100.1", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("2001:db8::/32", "2001:db8:1::5", true)]
    [InlineData("2001:db8::/32", "2001:db9::5", false)]
    [InlineData("2001:db8::7", "2001:db8::7", true)]
    [InlineData("::1", "::1", true)]
    [InlineData("::ffff:192.0.2.0/120", "192.0.2.99", true)]
    [InlineData("::ffff:192.0.2.1", "::ffff:192.0.2.1", true)]
    [InlineData(" 192.0.2.0/24 ", "192.0.2.1", true)]
    public void Ranges_match_IPv4_and_IPv6_addresses(string range, string address, bool expected)
    {
        Assert.True(IPRanges.TryParse(range, out IPNetwork network, out string? error), error);
        Assert.Equal(expected, IPRanges.ContainsAny([network], IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("10.0.0.0/33", "prefix length")]
    [InlineData("10.0.0.0/-1", "prefix length")]
    [InlineData("10.0.0.0/", "prefix length")]
    [InlineData("10.1.2.3/8", "did you mean 10.0.0.0/8")]
    [InlineData("2001:db8::1/32", "did you mean 2001:db8::/32")]
    [InlineData("contoso.local", "not an IPv4 or IPv6 address")]
    [InlineData("10.0.0.0-10.0.0.255", "not an IPv4 or IPv6 address")]
    [InlineData("fe80::1%eth0", "not an IPv4 or IPv6 address")]
    public void Invalid_ranges_say_why(string range, string because)
    {
        Assert.False(IPRanges.TryParse(range, out _, out string? error));
        Assert.Contains(because, error);
    }
}
