using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using CasbGateway.Hosting;

namespace CasbGateway.SignIn;

/// <summary>
/// Gives the store's data-protection key ring an active key before the gateway serves, deciding under an exclusive
/// lock in the keys folder. Without it, gateways that start together on an empty folder each create a key of their
/// own at their first sign-in (ASP.NET Core's known race), and once their key rings are cached a session cookie one
/// replica issued is not read by another: ASP.NET Core re-reads the ring for an unknown key only in the first minutes
/// after a start. Later keys are made by ASP.NET Core's rotation, 48 hours before they become active, which every
/// replica reads in time.
/// </summary>
internal sealed class SessionKeyRing
{
    public const string LockFileName = "keys.lock";

    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    private readonly IKeyManager _keys;
    private readonly KeyManagementOptions _options;
    private readonly string _folder;

    public SessionKeyRing(IKeyManager keys, IOptions<KeyManagementOptions> options, string folder)
    {
        _keys = keys;
        _options = options.Value;
        _folder = folder;
    }

    /// <summary>Creates a key active now unless the folder has one; true when this call created it.</summary>
    public bool EnsureActiveKey()
    {
        using FileStream gate = AcquireLock();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        // Read under the lock: a replica that got it first may have just written the key.
        if (_keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now))
        {
            return false;
        }

        _keys.CreateNewKey(now, now + _options.NewKeyLifetime);
        return true;
    }

    private FileStream AcquireLock()
    {
        string path = Path.Combine(_folder, LockFileName);
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
                    $"Cannot lock the session keys folder '{_folder}' to create its first key: {GatewayStartupException.Cause(ex)}", ex);
            }
        }
    }
}
