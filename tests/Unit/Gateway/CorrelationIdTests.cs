using CasbCore.Activity;
using CasbGateway.Activity;

namespace CasbModule.Tests.Gateway;

public sealed class CorrelationIdTests
{
    [Fact]
    public void Ids_are_unique_version_7_uuids_that_carry_the_requests_millisecond()
    {
        var at = new DateTimeOffset(2026, 11, 29, 21, 30, 5, 123, TimeSpan.Zero).AddTicks(4567);
        string[] ids = Enumerable.Range(0, 10_000).Select(_ => CorrelationIds.Next(at)).ToArray();

        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.All(ids, id =>
        {
            Assert.Matches("^[0-9a-f]{32}$", id);
            Guid guid = Guid.ParseExact(id, "N");
            Assert.Equal(7, guid.Version);
            Assert.Contains(id[16], "89ab"); // RFC 9562 variant bits 10
            Assert.Equal(at.ToUnixTimeMilliseconds(), ActivityQuery.TimeOfCorrelationId(id)!.Value.ToUnixTimeMilliseconds());
        });

        // Ids of later requests sort after earlier ones (the time leads), which keeps them near their records.
        Assert.True(string.CompareOrdinal(CorrelationIds.Next(at.AddMilliseconds(1)), ids[^1]) > 0);
    }
}
