namespace CasbGateway.SignIn;

/// <summary>
/// How the gateways of one store agree on which of them makes the key ring's first key: one makes it, the others find
/// it. <see cref="FolderKeyRingGate"/> for a folder store, <see cref="StoreKeyRingGate"/> for a database store.
/// </summary>
internal interface IKeyRingGate
{
    /// <summary>
    /// Returns when this gateway may make the key: it holds the gate until the result is disposed, or
    /// <paramref name="hasActiveKey"/> became true while it waited (another gateway made the key).
    /// </summary>
    IDisposable Enter(Func<bool> hasActiveKey);
}
