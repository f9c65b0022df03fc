using System.Security.Cryptography;

namespace CasbGateway.Activity;

/// <summary>
/// The gateway's correlation ids: version-7 UUIDs (RFC 9562) as 32 hex digits, unique per request, made without a
/// system call. The first 48 bits are the request's start in Unix milliseconds, which is its activity record's time:
/// Get-CasbActivity -CorrelationId finds the record by that time instead of scanning the day. A GUID per request cost a
/// getrandom() call each on this platform; an id only has to be unique (it is shown on block pages and joins the
/// activity log, and is never a secret or a credential), so the 74 bits after the time and version are 12 bits drawn
/// once per process and a 62-bit counter that starts at a random value (RFC 9562's counter method): unique within a
/// process, and ids of two gateways or two runs do not collide.
/// </summary>
internal static class CorrelationIds
{
    private static readonly ulong Prefix = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong))) & 0xFFF;
    private static long _counter = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(sizeof(long))) & long.MaxValue;

    private const ulong CounterMask = (1UL << 62) - 1;
    private const ulong Variant = 2UL << 62; // RFC 9562 variant bits 10

    public static string Next(DateTimeOffset at) =>
        string.Create(32, ((ulong)at.ToUnixTimeMilliseconds(), (ulong)Interlocked.Increment(ref _counter)), static (id, state) =>
        {
            (ulong milliseconds, ulong counter) = state;
            (milliseconds & 0xFFFF_FFFF_FFFF).TryFormat(id[..12], out _, "x12");
            id[12] = '7';
            Prefix.TryFormat(id[13..16], out _, "x3");
            (Variant | (counter & CounterMask)).TryFormat(id[16..], out _, "x16");
        });
}
