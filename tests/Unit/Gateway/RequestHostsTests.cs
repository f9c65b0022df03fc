using CasbGateway.Enforcement;
using CsCheck;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The host names kept per Host header value (<see cref="RequestHosts"/>) are always the ones HostString.Host gives,
/// however values repeat, collide in the table and replace each other: the engine decides on that name.
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
                Assert.Equal(new HostString(header).Host, RequestHosts.HostOf(new HostString(header)));
            }
        }, iter: 300);
    }

    [Fact]
    public void A_repeated_host_with_a_port_gives_the_same_string_without_allocating()
    {
        var host = new HostString("gateway.contoso.com:8443");
        string first = RequestHosts.HostOf(host);
        long before = GC.GetAllocatedBytesForCurrentThread();
        string again = RequestHosts.HostOf(new HostString("gateway.contoso.com:8443"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("gateway.contoso.com", first);
        Assert.Same(first, again);
        Assert.Equal(0, allocated);
    }
}
