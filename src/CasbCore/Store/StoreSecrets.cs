using System.Security.Cryptography;
using System.Text.Json;

namespace CasbCore.Store;

/// <summary>
/// The store's secrets (the identity provider's client secret or client certificate): a JSON file beside casb.json,
/// <c>casb.secrets.json</c>, created with mode 600 on Linux and macOS so that only the store's owner (the account the
/// gateway runs as) reads it. casb.json refers to a secret by a random id and never holds its value, so
/// Export-CasbConfiguration, Get- cmdlets and a reviewed diff of casb.json never show one. Written only inside a store
/// update (under the store's lock), atomically, before the configuration that refers to it. A database store keeps the
/// same document as a blob of that name, written in the transaction of the configuration that refers to it.
/// </summary>
public sealed class StoreSecrets
{
    public const string FileName = "casb.secrets.json";

    private readonly Dictionary<string, string> _values;

    private readonly bool _inFile;

    private StoreSecrets(string path, Dictionary<string, string> values, bool inFile = true)
    {
        Path = path;
        _values = values;
        _inFile = inFile;
    }

    /// <summary>The secrets file, or the name of the database blob.</summary>
    public string Path { get; }

    /// <summary>True when an <see cref="Add"/> or <see cref="Prune"/> changed something not yet saved.</summary>
    internal bool Changed { get; private set; }

    /// <summary>Reads the secrets file; a missing file has no secrets. A corrupt one is StoreSecretsCorrupt.</summary>
    public static StoreSecrets Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return new StoreSecrets(path, new Dictionary<string, string>(StringComparer.Ordinal));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CasbException("StoreSecretsReadFailed", CasbErrorKind.ReadError, $"Cannot read the secrets file '{path}': {ex.Message}", path, ex);
        }

        return Parse(bytes, path, inFile: true);
    }

    /// <summary>Secrets kept by a store other than a folder (a database blob; null: none yet). The store saves <see cref="ToBytes"/>.</summary>
    internal static StoreSecrets FromBytes(byte[]? bytes, string name) =>
        bytes is null ? new StoreSecrets(name, new Dictionary<string, string>(StringComparer.Ordinal), inFile: false) : Parse(bytes, name, inFile: false);

    private static StoreSecrets Parse(byte[] bytes, string path, bool inFile)
    {
        try
        {
            Dictionary<string, string>? values = JsonSerializer.Deserialize<SecretsDocument>(bytes, CasbStore.SerializerOptions)?.Secrets;
            return new StoreSecrets(path, new Dictionary<string, string>(values ?? new(), StringComparer.Ordinal), inFile);
        }
        catch (JsonException ex)
        {
            throw new CasbException(
                "StoreSecretsCorrupt", CasbErrorKind.InvalidData, $"The secrets in '{path}' are corrupt: {ex.Message} They were left untouched.", path, ex);
        }
    }

    /// <summary>The secrets document, as the secrets file holds it.</summary>
    internal byte[] ToBytes() =>
        JsonSerializer.SerializeToUtf8Bytes(new SecretsDocument { Secrets = new Dictionary<string, string>(_values, StringComparer.Ordinal) }, CasbStore.SerializerOptions);

    /// <summary>After the store saved <see cref="ToBytes"/> itself.</summary>
    internal void MarkSaved() => Changed = false;

    /// <summary>The secret with this id, or null when the file has none (it was removed, or the store was copied without it).</summary>
    public string? Get(string? id) => id is not null && _values.TryGetValue(id, out string? value) ? value : null;

    public bool Contains(string? id) => id is not null && _values.ContainsKey(id);

    /// <summary>Keeps <paramref name="value"/> under a new random id and returns the id.</summary>
    public string Add(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _values[id] = value;
        Changed = true;
        return id;
    }

    /// <summary>Forgets every secret whose id is not in <paramref name="referenced"/>.</summary>
    internal void Prune(IEnumerable<string> referenced)
    {
        var keep = new HashSet<string>(referenced, StringComparer.Ordinal);
        foreach (string id in _values.Keys.Where(id => !keep.Contains(id)).ToList())
        {
            _values.Remove(id);
            Changed = true;
        }
    }

    /// <summary>Writes the file atomically with mode 600 (temp file created with that mode, then renamed).</summary>
    internal void Save()
    {
        if (!_inFile)
        {
            throw new InvalidOperationException("These secrets are saved by their store, not in a file.");
        }

        string directory = System.IO.Path.GetDirectoryName(Path)!;
        string temp = System.IO.Path.Combine(directory, $".{FileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, OwnerOnly.FileOptions(FileMode.CreateNew, FileAccess.Write)))
            {
                JsonSerializer.Serialize(stream, new SecretsDocument { Secrets = new Dictionary<string, string>(_values, StringComparer.Ordinal) }, CasbStore.SerializerOptions);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, Path, overwrite: true);
            Changed = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Best effort: a stray temp file is never read.
            }

            throw new CasbException("StoreWriteFailed", CasbErrorKind.WriteError, $"Cannot write the secrets file '{Path}': {ex.Message}", Path, ex);
        }
    }

    private sealed class SecretsDocument
    {
        public Dictionary<string, string> Secrets { get; set; } = new();
    }
}
