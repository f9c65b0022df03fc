using System.Globalization;
using System.Text;
using CasbCore.Store;

namespace CasbGateway.SignIn;

/// <summary>
/// A claim in a database store's shared blobs: the gateway whose insert of the claim wins makes the key, the others wait
/// until they can read it. The claim's name counts the keys the ring holds, so every gateway that finds the same ring
/// contends for the same name, and a later shortage (every key expired while all gateways were down) gets a fresh one.
/// No lock is held on the database while the key is written.
/// </summary>
internal sealed class StoreKeyRingGate(IConfigurationStore store) : IKeyRingGate
{
    /// <summary>Outside <see cref="StoreBlobNames.KeysFolder"/>: the key repository reads every blob there as a key.</summary>
    public const string ClaimsFolder = StoreBlobNames.KeyClaimsFolder;

    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(30);

    public IDisposable Enter(Func<bool> hasActiveKey)
    {
        int keys = store.ListBlobs(StoreBlobNames.KeysFolder).Count;
        string claim = ClaimsFolder + keys.ToString(CultureInfo.InvariantCulture);
        string claimant = $"{Environment.MachineName} {Environment.ProcessId} {DateTimeOffset.UtcNow:O}";
        if (store.TryAddBlob(claim, Encoding.UTF8.GetBytes(claimant)))
        {
            return Released.Instance;
        }

        DateTime deadline = DateTime.UtcNow + WaitTimeout;
        while (DateTime.UtcNow < deadline && !hasActiveKey())
        {
            Thread.Sleep(100);
        }

        // Either the key is there, or the gateway that claimed it stopped before writing it: the caller checks again and
        // makes one itself rather than never start.
        return Released.Instance;
    }

    private sealed class Released : IDisposable
    {
        public static readonly Released Instance = new();

        public void Dispose()
        {
        }
    }
}
