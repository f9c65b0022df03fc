using CasbCore.Model;

namespace CasbCore.Store;

/// <summary>
/// Where the configuration lives: one document with a schema version and a revision, the store's secrets and the
/// blobs every gateway on the store shares (the self-signed server certificate, the sign-in data-protection keys).
/// <see cref="CasbStore"/> keeps them in a folder (the embedded default); <see cref="Postgres.PostgresStore"/> in a
/// PostgreSQL database, for several gateways on several hosts. Every change goes through <see cref="Update{T}(Func{CasbConfiguration, T})"/>
/// or <see cref="Write"/>, so the guarantees are the same on both: a corrupt or unknown-schema document is refused and
/// never overwritten, and a write made against a revision that is no longer current is a StoreConflict, never a lost change.
/// </summary>
public interface IConfigurationStore
{
    /// <summary>What the admin named: the store folder, or the PostgreSQL URI (never with a password).</summary>
    string Location { get; }

    /// <summary>The name of the configuration document in messages: casb.json's path, or the URI.</summary>
    string DocumentName { get; }

    /// <summary>
    /// This host's own files for the store: gateway records and logs, and the activity log while it is kept in files.
    /// The store folder itself for a folder store; a folder under the per-user default for a database.
    /// </summary>
    string LocalDirectory { get; }

    /// <summary>The activity log's folder (per host).</summary>
    string ActivityDirectory { get; }

    /// <summary>The configuration document as stored, or null when the store has none yet (an empty configuration).</summary>
    byte[]? ReadDocument();

    /// <summary>
    /// The SHA-256 (lowercase hex) of the bytes <see cref="ReadDocument"/> would return, or null when the store has no
    /// document: what a gateway checks on every poll, so that an unchanged document is not read (a folder store streams
    /// the file through the hash; a database hashes it where it lives). Read errors throw as <see cref="ReadDocument"/>'s do.
    /// </summary>
    string? DocumentHash();

    /// <summary>Reads the current configuration. A store without a document is an empty configuration at revision 0.</summary>
    CasbConfiguration Load();

    /// <summary>
    /// Saves <paramref name="configuration"/> as revision <paramref name="expectedRevision"/> + 1 if the store is still
    /// at <paramref name="expectedRevision"/> (0: has no document yet); else StoreConflict and nothing is written.
    /// Returns the new revision.
    /// </summary>
    long Write(CasbConfiguration configuration, long expectedRevision);

    /// <summary>
    /// Runs <paramref name="mutate"/> on the latest configuration and saves the result when it changed something, as
    /// one new revision. <paramref name="mutate"/> can run more than once (a store that resolves concurrent writers
    /// optimistically runs it again on the newer revision), so it must only change the configuration it is given.
    /// If it throws, nothing is written.
    /// </summary>
    T Update<T>(Func<CasbConfiguration, T> mutate);

    /// <summary><see cref="Update{T}(Func{CasbConfiguration, T})"/> with the store's secrets, saved with the configuration that refers to them.</summary>
    T Update<T>(Func<CasbConfiguration, StoreSecrets, T> mutate);

    /// <summary>Reads the store's secrets (outside an update: the gateway, when it loads a revision).</summary>
    StoreSecrets LoadSecrets();

    /// <summary>A shared blob by name ("gateway/server.pfx", "keys/key-….xml"), or null when there is none.</summary>
    byte[]? ReadBlob(string name);

    /// <summary>Creates or replaces a shared blob.</summary>
    void WriteBlob(string name, ReadOnlySpan<byte> content);

    /// <summary>Creates a shared blob unless one of that name exists; false when it did (another gateway was first).</summary>
    bool TryAddBlob(string name, ReadOnlySpan<byte> content);

    /// <summary>
    /// Replaces a shared blob only if it still holds <paramref name="expected"/>, as one step; false when it does not (or is
    /// gone): another gateway changed it first, and the caller reads what it holds now.
    /// </summary>
    bool TryReplaceBlob(string name, ReadOnlySpan<byte> expected, ReadOnlySpan<byte> content);

    /// <summary>
    /// Replaces the whole store in one step (Copy-CasbStore): the document becomes <paramref name="configuration"/> as
    /// revision <paramref name="expectedRevision"/> + 1 if the store is still at <paramref name="expectedRevision"/> (else
    /// StoreConflict and nothing is written), and the shared blobs become exactly <paramref name="blobs"/>: a blob not named
    /// there is deleted. A failure leaves the store as it was (a database: one transaction; a folder: see
    /// <see cref="CasbStore.Replace"/>). Returns the new revision.
    /// </summary>
    long Replace(CasbConfiguration configuration, long expectedRevision, IReadOnlyDictionary<string, byte[]> blobs);

    /// <summary>The names of the shared blobs under a folder-like prefix ("keys/"), or every blob for "".</summary>
    IReadOnlyList<string> ListBlobs(string prefix);

    /// <summary>
    /// Calls <paramref name="changed"/> (from another thread) soon after the document may have changed. A hint only: it
    /// can be late or missing (a lost connection, a full inotify table), so readers keep polling as well.
    /// <paramref name="failed"/> hears why the watch stopped working (it may recover by itself).
    /// </summary>
    IDisposable WatchChanges(Action changed, Action<string> failed);
}
