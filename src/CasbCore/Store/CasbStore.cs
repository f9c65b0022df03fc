using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CasbCore.Model;

namespace CasbCore.Store;

/// <summary>
/// The configuration store: one JSON document (<c>casb.json</c>) in a folder, plus the activity log and
/// generated files beside it. Reads are lock-free snapshots; writes are serialized across processes with an
/// exclusive lock file and land atomically (temp file + rename), so a reader never sees a half-written file. The
/// embedded default <see cref="IConfigurationStore"/>: the shared blobs are files under the folder.
/// </summary>
public sealed class CasbStore : IConfigurationStore
{
    public const string EnvironmentVariable = "CASB_STORE";
    public const string ConfigurationFileName = "casb.json";
    private const string LockFileName = "casb.json.lock";

    private static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(60);

    public CasbStore(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new CasbException("StorePathInvalid", CasbErrorKind.InvalidArgument, "The store path is empty.");
        }

        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The store folder.</summary>
    public string Path { get; }

    public string ConfigurationFile => System.IO.Path.Combine(Path, ConfigurationFileName);

    public string Location => Path;

    public string DocumentName => ConfigurationFile;

    public string LocalDirectory => Path;

    public string ActivityDirectory => System.IO.Path.Combine(Path, "activity");

    /// <summary>The secrets file beside casb.json (see <see cref="StoreSecrets"/>).</summary>
    public string SecretsFile => System.IO.Path.Combine(Path, StoreSecrets.FileName);

    /// <summary>The gateway's data-protection key ring (session cookies, sign-in state), shared by every gateway on this store.</summary>
    public string KeysDirectory => System.IO.Path.Combine(Path, "keys");

    /// <summary>Reads the secrets file (outside a store update: the gateway, when it loads a revision).</summary>
    public StoreSecrets LoadSecrets() => StoreSecrets.Load(SecretsFile);

    public TimeSpan LockTimeout { get; init; } = DefaultLockTimeout;

    public static JsonSerializerOptions SerializerOptions { get; } = CreateSerializerOptions();

    // A key named twice is refused, not read as its last value: a hand-edited file saying "action": "Block" and later
    // "action": "Test" would otherwise store whichever came last without a word.
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false,
    };

    /// <summary>
    /// Opens the store at <paramref name="storePath"/>, else <c>$env:CASB_STORE</c>, else the per-user default
    /// (<c>~/.casb</c> on Linux/macOS, <c>%LOCALAPPDATA%\Casb</c> on Windows).
    /// </summary>
    public static CasbStore Open(string? storePath = null)
    {
        string location = ResolvePath(storePath);
        return ConfigurationStores.IsDatabaseUri(location)
            ? throw new CasbException("StorePathInvalid", CasbErrorKind.InvalidArgument, $"'{ConfigurationStores.Redact(location)}' is a database, not a store folder.", ConfigurationStores.Redact(location))
            : new CasbStore(location);
    }

    /// <summary>
    /// The store's location: <paramref name="storePath"/>, else <c>$env:CASB_STORE</c>, else the per-user default. A
    /// folder comes back as a full path, a PostgreSQL URI (<see cref="ConfigurationStores.IsDatabaseUri"/>) as given.
    /// </summary>
    public static string ResolvePath(string? storePath)
    {
        if (!string.IsNullOrWhiteSpace(storePath))
        {
            return ConfigurationStores.IsDatabaseUri(storePath) ? storePath.Trim() : System.IO.Path.GetFullPath(storePath);
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return ConfigurationStores.IsDatabaseUri(fromEnvironment) ? fromEnvironment.Trim() : System.IO.Path.GetFullPath(fromEnvironment);
        }

        return DefaultPath();
    }

    /// <summary>The per-user default store folder: <c>~/.casb</c> on Linux/macOS, <c>%LOCALAPPDATA%\Casb</c> on Windows.</summary>
    public static string DefaultPath()
    {
        if (OperatingSystem.IsWindows())
        {
            return System.IO.Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "Casb");
        }

        return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".casb");
    }

    /// <summary>Reads the current configuration. A store that does not exist yet is an empty configuration.</summary>
    public CasbConfiguration Load() =>
        ReadDocument() is { } bytes ? Parse(bytes, ConfigurationFile) : new CasbConfiguration();

    public byte[]? ReadDocument()
    {
        string file = ConfigurationFile;
        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ReadFailed(file, ex);
        }
    }

    public string? DocumentHash()
    {
        string file = ConfigurationFile;
        try
        {
            // Streamed through the hash with a small buffer: the document (636 KB at 1,000 policies) is neither read
            // into one array nor, being over 85 KB, put on the large-object heap every poll, where each one hastened a
            // full collection in a gateway under load.
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ReadFailed(file, ex);
        }
    }

    public long Write(CasbConfiguration configuration, long expectedRevision)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        using FileStream storeLock = AcquireLock();
        long current = Load().Revision; // a corrupt or unknown-schema file throws here and stays as it is
        if (current != expectedRevision)
        {
            throw Conflict(Location, expectedRevision, current);
        }

        configuration.SchemaVersion = CasbConfiguration.CurrentSchemaVersion;
        configuration.Revision = expectedRevision + 1;
        configuration.ModifiedAt = DateTimeOffset.UtcNow;
        WriteAtomically(Serialize(configuration));
        return configuration.Revision;
    }

    /// <summary>The error for a write made against a revision that is no longer the store's.</summary>
    public static CasbException Conflict(string location, long expected, long current) => new(
        "StoreConflict", CasbErrorKind.ResourceBusy,
        $"The store '{location}' is at revision {current}, not {expected}: someone else changed it meanwhile. Nothing was written; read it again and retry.",
        location);

    /// <summary>The error for a store file that exists but cannot be read (shared with the engine cache's read).</summary>
    internal static CasbException ReadFailed(string file, Exception ex) =>
        new("StoreReadFailed", CasbErrorKind.ReadError, $"Cannot read the store file '{file}': {ex.Message}", file, ex);

    /// <summary>
    /// Parses a configuration document of any schema version this engine knows, upgrading an older one in memory
    /// (<see cref="SchemaMigrations"/>). Used for the store and for imports. StoreCorrupt for what is not a
    /// configuration; StoreSchemaUnsupported for a version this engine cannot read.
    /// </summary>
    public static CasbConfiguration Parse(ReadOnlySpan<byte> json, string sourceName) =>
        Parse(json, sourceName, SchemaMigrations.All, CasbConfiguration.CurrentSchemaVersion);

    /// <summary>
    /// <see cref="Parse(ReadOnlySpan{byte}, string)"/> for a file an admin wrote: a key the model does not have is
    /// StoreCorrupt too, not left at its default ("Action": "Block", spelled as PowerShell spells it, would otherwise be
    /// imported as a Test policy; a mistyped "exludeUsers" as no exclusion).
    /// </summary>
    public static CasbConfiguration ParseStrict(ReadOnlySpan<byte> json, string sourceName) =>
        Parse(json, sourceName, SchemaMigrations.All, CasbConfiguration.CurrentSchemaVersion, StrictSerializerOptions);

    private static JsonSerializerOptions StrictSerializerOptions { get; } =
        new(SerializerOptions) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    internal static CasbConfiguration Parse(
        ReadOnlySpan<byte> json, string sourceName, IReadOnlyList<SchemaMigration> steps, int target, JsonSerializerOptions? options = null)
    {
        JsonObject document;
        try
        {
            document = JsonNode.Parse(json, documentOptions: DocumentOptions) as JsonObject
                ?? throw new CasbException(
                    "StoreCorrupt", CasbErrorKind.InvalidData,
                    $"The configuration file '{sourceName}' is corrupt: the document is not a JSON object. It was left untouched.", sourceName);
        }
        catch (JsonException ex)
        {
            throw new CasbException(
                "StoreCorrupt", CasbErrorKind.InvalidData,
                $"The configuration file '{sourceName}' is corrupt: {ex.Message} It was left untouched.", sourceName, ex);
        }

        if (document["schemaVersion"] is not JsonValue versionNode || !versionNode.TryGetValue(out int schemaVersion))
        {
            throw new CasbException(
                "StoreCorrupt", CasbErrorKind.InvalidData,
                $"The configuration file '{sourceName}' has no schemaVersion. It was left untouched.", sourceName);
        }

        if (schemaVersion != target)
        {
            SchemaMigrations.Upgrade(document, schemaVersion, target, steps, sourceName);
        }

        // Every list of the model is of items that are never null; a null one would pass the validator (a user list
        // [null] reads as everyone) or fail the engine's compile of a revision that was already written.
        if (FindNullItem(document) is { } nullItem)
        {
            throw new CasbException(
                "StoreCorrupt", CasbErrorKind.InvalidData,
                $"The configuration file '{sourceName}' is corrupt: {nullItem} is a null item of a list. It was left untouched.", sourceName);
        }

        try
        {
            return document.Deserialize<CasbConfiguration>(options ?? SerializerOptions)
                ?? throw new JsonException("The document is null.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new CasbException(
                "StoreCorrupt", CasbErrorKind.InvalidData,
                $"The configuration file '{sourceName}' is corrupt: {ex.Message} It was left untouched.", sourceName, ex);
        }
    }

    private static string? FindNullItem(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (KeyValuePair<string, JsonNode?> property in obj)
                {
                    if (property.Value is not null && FindNullItem(property.Value) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonArray array:
                foreach (JsonNode? item in array)
                {
                    if (item is null)
                    {
                        return array.GetPath() + $"[{array.IndexOf(item)}]";
                    }

                    if (FindNullItem(item) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    public static byte[] Serialize(CasbConfiguration configuration) =>
        JsonSerializer.SerializeToUtf8Bytes(configuration, SerializerOptions);

    /// <summary>
    /// Runs <paramref name="mutate"/> on the latest configuration under the store's exclusive lock and saves
    /// the result atomically. The revision is incremented only when the document changed. If
    /// <paramref name="mutate"/> throws, nothing is written.
    /// </summary>
    public T Update<T>(Func<CasbConfiguration, T> mutate) => Update(mutate, afterWrite: null);

    private T Update<T>(Func<CasbConfiguration, T> mutate, Action<CasbConfiguration>? afterWrite)
    {
        ArgumentNullException.ThrowIfNull(mutate);
        using FileStream storeLock = AcquireLock();

        CasbConfiguration configuration = Load();
        byte[] before = Serialize(configuration);
        T result = mutate(configuration);
        configuration.SchemaVersion = CasbConfiguration.CurrentSchemaVersion; // an older file is upgraded when it is written
        byte[] after = Serialize(configuration);
        if (!before.AsSpan().SequenceEqual(after))
        {
            configuration.Revision++;
            configuration.ModifiedAt = DateTimeOffset.UtcNow;
            WriteAtomically(Serialize(configuration));
        }

        afterWrite?.Invoke(configuration);
        return result;
    }

    /// <summary>
    /// <see cref="Update{T}(Func{CasbConfiguration, T})"/> with the store's secrets: secrets added by
    /// <paramref name="mutate"/> are saved before the configuration that refers to them, and secrets no longer
    /// referred to are deleted after it, so a crash between the two writes never leaves a reference without its secret.
    /// </summary>
    public T Update<T>(Func<CasbConfiguration, StoreSecrets, T> mutate)
    {
        ArgumentNullException.ThrowIfNull(mutate);
        StoreSecrets? secrets = null;
        T result = Update(configuration =>
        {
            secrets = StoreSecrets.Load(SecretsFile);
            T value = mutate(configuration, secrets);
            if (secrets.Changed)
            {
                secrets.Save();
            }

            return value;
        }, afterWrite: configuration =>
        {
            secrets!.Prune(SecretReferences(configuration));
            if (secrets.Changed)
            {
                secrets.Save();
            }
        });
        return result;
    }

    /// <summary>The secret ids the configuration refers to.</summary>
    public static IEnumerable<string> SecretReferences(CasbConfiguration configuration)
    {
        if (configuration.IdentityProvider is { } provider)
        {
            if (provider.ClientSecretId is { } secret)
            {
                yield return secret;
            }

            if (provider.ClientCertificateId is { } certificate)
            {
                yield return certificate;
            }
        }
    }

    public byte[]? ReadBlob(string name)
    {
        string file = BlobFile(name);
        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CasbException("StoreReadFailed", CasbErrorKind.ReadError, $"Cannot read the store file '{file}': {ex.Message}", file, ex);
        }
    }

    public void WriteBlob(string name, ReadOnlySpan<byte> content) => WriteBlobFile(BlobFile(name), content, overwrite: true);

    public bool TryAddBlob(string name, ReadOnlySpan<byte> content)
    {
        // Under the store's lock, as TryReplaceBlob: WriteBlobFile's "not there yet" check and its move are two steps, and
        // two writers creating one blob at once would both pass the check, the second move replacing the first file.
        using FileStream storeLock = AcquireLock();
        return WriteBlobFile(BlobFile(name), content, overwrite: false);
    }

    public bool TryReplaceBlob(string name, ReadOnlySpan<byte> expected, ReadOnlySpan<byte> content)
    {
        string file = BlobFile(name);
        // The store's lock makes the compare and the write one step for every process on the folder.
        using FileStream storeLock = AcquireLock();
        byte[]? current = ReadBlob(name);
        if (current is null || !current.AsSpan().SequenceEqual(expected))
        {
            return false;
        }

        WriteBlobFile(file, content, overwrite: true);
        return true;
    }

    /// <summary>
    /// <see cref="IConfigurationStore.Replace"/> on a folder, under the store's lock. Every new file (blobs, then the
    /// document) is written and flushed beside the old one before any is replaced, so a failure while writing them leaves
    /// the store untouched; then each old file is replaced by an atomic rename (or deleted), the document last, and a
    /// failure there undoes the renames made so far (<see cref="FileSetReplacement"/>). Only a crash during the renames, a
    /// few milliseconds, can leave new blobs beside the old document; its revision then shows the copy did not finish,
    /// and running it again completes it.
    /// </summary>
    public long Replace(CasbConfiguration configuration, long expectedRevision, IReadOnlyDictionary<string, byte[]> blobs)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(blobs);
        foreach (string name in blobs.Keys)
        {
            StoreBlobNames.Check(name);
        }

        using FileStream storeLock = AcquireLock();
        long current = Load().Revision; // a corrupt or unknown-schema file throws here and stays as it is
        if (current != expectedRevision)
        {
            throw Conflict(Location, expectedRevision, current);
        }

        configuration.SchemaVersion = CasbConfiguration.CurrentSchemaVersion;
        configuration.Revision = expectedRevision + 1;
        configuration.ModifiedAt = DateTimeOffset.UtcNow;
        var replacement = new FileSetReplacement();
        try
        {
            foreach ((string name, byte[] content) in blobs.OrderBy(b => b.Key, StringComparer.Ordinal))
            {
                replacement.Write(BlobFile(name), content, ownerOnly: true);
            }

            foreach (string name in ListBlobs(""))
            {
                if (!blobs.ContainsKey(name))
                {
                    replacement.Delete(BlobFile(name));
                }
            }

            replacement.Write(ConfigurationFile, Serialize(configuration), ownerOnly: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            replacement.Abandon();
            throw new CasbException(
                "StoreWriteFailed", CasbErrorKind.WriteError, $"Cannot write the store '{Path}': {ex.Message} Nothing was replaced.", Path, ex);
        }

        try
        {
            replacement.Commit();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CasbException(
                "StoreWriteFailed", CasbErrorKind.WriteError, $"Cannot replace the files of the store '{Path}': {ex.Message} The files replaced so far were put back.", Path, ex);
        }

        return configuration.Revision;
    }

    public IReadOnlyList<string> ListBlobs(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        // The blobs of a folder store are the files every gateway on it shares; the configuration, its lock, the
        // activity log and this host's gateway records are not blobs, nor are temporary files (named ".…").
        var names = new List<string>();
        foreach (string name in (string[])[StoreSecrets.FileName, StoreBlobNames.ServerCertificate, StoreBlobNames.EndedSessions])
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && File.Exists(BlobFile(name)))
            {
                names.Add(name);
            }
        }

        // The keys folder also holds the key ring's lock file (keys.lock): only *.xml are keys.
        foreach ((string folder, string pattern) in (ReadOnlySpan<(string, string)>)[(StoreBlobNames.KeysFolder, "*.xml"), (StoreBlobNames.KeyClaimsFolder, "*")])
        {
            string directory = System.IO.Path.Combine(Path, folder.TrimEnd('/'));
            if (Directory.Exists(directory) && (folder.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(folder, StringComparison.Ordinal)))
            {
                names.AddRange(Directory.EnumerateFiles(directory, pattern)
                    .Select(System.IO.Path.GetFileName)
                    .Where(f => !f!.StartsWith('.'))
                    .Select(f => folder + f)
                    .Where(n => n.StartsWith(prefix, StringComparison.Ordinal)));
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public IDisposable WatchChanges(Action changed, Action<string> failed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        ArgumentNullException.ThrowIfNull(failed);
        Directory.CreateDirectory(Path);
        var watcher = new FileSystemWatcher(Path, ConfigurationFileName)
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Changed += (_, _) => changed();
        watcher.Created += (_, _) => changed();
        watcher.Deleted += (_, _) => changed();
        watcher.Renamed += (_, _) => changed();
        watcher.Error += (_, e) => failed(e.GetException().Message);
        try
        {
            watcher.EnableRaisingEvents = true;
        }
        catch
        {
            watcher.Dispose();
            throw;
        }

        return watcher;
    }

    private string BlobFile(string name) =>
        System.IO.Path.Combine([Path, .. StoreBlobNames.Check(name).Split('/')]);

    // Blobs hold keys and secrets: created with mode 600 (folders 700), atomically.
    private static bool WriteBlobFile(string file, ReadOnlySpan<byte> content, bool overwrite)
    {
        string directory = System.IO.Path.GetDirectoryName(file)!;
        string temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(file)}.{Guid.NewGuid():N}.tmp");
        try
        {
            OwnerOnly.CreateDirectory(directory);
            using (var stream = new FileStream(temp, OwnerOnly.FileOptions(FileMode.CreateNew, FileAccess.Write)))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            if (!overwrite && File.Exists(file))
            {
                TryDelete(temp);
                return false;
            }

            File.Move(temp, file, overwrite);
            return true;
        }
        catch (IOException) when (!overwrite && File.Exists(file))
        {
            TryDelete(temp);
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new CasbException("StoreWriteFailed", CasbErrorKind.WriteError, $"Cannot write the store file '{file}': {ex.Message}", file, ex);
        }
    }

    public void Update(Action<CasbConfiguration> mutate) =>
        Update<object?>(configuration =>
        {
            mutate(configuration);
            return null;
        });

    private FileStream AcquireLock()
    {
        try
        {
            Directory.CreateDirectory(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CasbException(
                "StoreWriteFailed", CasbErrorKind.WriteError, $"Cannot create the store folder '{Path}': {ex.Message}", Path, ex);
        }

        string lockFile = System.IO.Path.Combine(Path, LockFileName);
        DateTime deadline = DateTime.UtcNow + LockTimeout;
        int delay = 5;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive advisory lock (flock) on Unix and a share lock on Windows:
                // either way a second writer, in this or another process, waits here.
                return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 100);
            }
            catch (IOException ex)
            {
                throw new CasbException(
                    "StoreLocked", CasbErrorKind.ResourceUnavailable,
                    $"The store '{Path}' is locked by another writer and did not become free within {LockTimeout.TotalSeconds:0} s.", Path, ex);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new CasbException(
                    "StoreWriteFailed", CasbErrorKind.PermissionDenied, $"Cannot lock the store '{Path}': {ex.Message}", Path, ex);
            }
        }
    }

    private void WriteAtomically(byte[] content)
    {
        string target = ConfigurationFile;
        string temp = System.IO.Path.Combine(Path, $".{ConfigurationFileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, target, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new CasbException(
                "StoreWriteFailed", CasbErrorKind.WriteError, $"Cannot write the store file '{target}': {ex.Message}", target, ex);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stray temp file is harmless and never read.
        }
    }

    private static JsonSerializerOptions CreateSerializerOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            // A null where the model has a list, an object or a text that is never null (null "apps", null "users") is
            // corrupt, not a policy the engine's compile then fails on; nullable properties (a description) stay optional.
            RespectNullableAnnotations = true,
            AllowDuplicateProperties = false,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
