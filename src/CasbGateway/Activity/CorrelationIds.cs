using System.Security.Cryptography;

namespace CasbGateway.Activity;

/// <summary>
/// The gateway's correlation ids: 32 hex digits, unique per request, made without a system call. A GUID per request
/// cost a getrandom() call each on this platform; an id only has to be unique (it is shown on block pages and joins
/// the activity log, and is never a secret or a credential), so it is a random 64-bit prefix drawn once per process
/// (ids of two gateways or two runs do not collide) followed by a 64-bit counter.
/// </summary>
internal static class CorrelationIds
{
    private static readonly ulong Prefix = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong)));
    private static long _counter = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(sizeof(long))) & long.MaxValue;

    public static string Next() =>
        string.Create(32, (ulong)Interlocked.Increment(ref _counter), static (id, counter) =>
        {
            Prefix.TryFormat(id[..16], out _, "x16");
            counter.TryFormat(id[16..], out _, "x16");
        });
}
