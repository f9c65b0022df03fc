using CasbGateway.Enforcement;
using CasbCore.Policies;
using CsCheck;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The host names kept per Host header value (<see cref="RequestHosts"/>) are always the ones the engine's
/// <see cref="AppMatcher.StripPort(string)"/> gives, however values repeat, collide in the table and replace each other:
/// the engine decides on that name. An international name stays in the ASCII form it was sent in.
/// </summary>
public sealed class RequestHostsTests
{
    [Fact]
    public void The_kept_host_name_is_always_the_one_the_header_value_gives()
    {
        Gen<string> part = Gen.String[Gen.Char["abz09.-:[]%"], 0, 10];
        Gen<string> value = Gen.OneOf(
            part,
            Gen.Select(part, Gen.Int[0, 70000]).Select((h, p) => $"{h}:{p}"),
            Gen.Select(Gen.Int[0, 255], Gen.Int[0, 65535]).Select((o, p) => $"10.0.0.{o}:{p}"),
            Gen.Int[0, 65535].Select(p => $"[::1]:{p}"));
        // Sequences of up to 200 values from a small pool, so that values repeat and replace one another in the 32 slots.
        Gen.Select(value.Array[1, 80], Gen.Int.Array[1, 200]).Sample((pool, picks) =>
        {
            foreach (int pick in picks)
            {
                string header = pool[(int)((uint)pick % (uint)pool.Length)];
                Assert.Equal(AppMatcher.StripPort(header), RequestHosts.HostOf(header));
            }
        }, iter: 300);
    }

    [Fact]
    public void A_repeated_host_with_a_port_gives_the_same_string_without_allocating()
    {
        string first = RequestHosts.HostOf("gateway.contoso.com:8443");
        long before = GC.GetAllocatedBytesForCurrentThread();
        string again = RequestHosts.HostOf("gateway.contoso.com:8443");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("gateway.contoso.com", first);
        Assert.Same(first, again);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData("xn--bcher-kva.contoso.local", "xn--bcher-kva.contoso.local")]
    [InlineData("xn--bcher-kva.contoso.local:8443", "xn--bcher-kva.contoso.local")]
    [InlineData("portal.xn--bcher-kva.contoso.local.:443", "portal.xn--bcher-kva.contoso.local.")]
    public void A_request_for_an_international_name_is_for_its_ASCII_form_as_sent(string header, string expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Host = header;

        Assert.Equal(expected, RequestHosts.HostOf(context.Request));
    }
}
