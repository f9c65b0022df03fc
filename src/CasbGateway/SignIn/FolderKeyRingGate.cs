using CasbGateway.Hosting;

namespace CasbGateway.SignIn;

/// <summary>An exclusive lock file in the keys folder: gateways on one folder store, in one process or several, take turns.</summary>
internal sealed class FolderKeyRingGate(string folder) : IKeyRingGate
{
    public const string LockFileName = "keys.lock";

    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    public IDisposable Enter(Func<bool> hasActiveKey)
    {
        string path = Path.Combine(folder, LockFileName);
        DateTime deadline = DateTime.UtcNow + LockTimeout;
        int delay = 5;
        while (true)
        {
            try
            {
                // An exclusive advisory lock (flock) on Unix, a share lock on Windows: another gateway, in this process or
                // another, waits here. The key repository reads *.xml only, so the lock file is never taken for a key.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 100);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new GatewayStartupException(
                    $"Cannot lock the session keys folder '{folder}' to create its first key: {GatewayStartupException.Cause(ex)}", ex);
            }
        }
    }
}
