using CasbCore.Model;

namespace CasbCore.Store;

public static class ConfigurationStoreExtensions
{
    /// <summary><see cref="IConfigurationStore.Update{T}(Func{CasbConfiguration, T})"/> for a change with nothing to return.</summary>
    public static void Update(this IConfigurationStore store, Action<CasbConfiguration> mutate)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(mutate);
        store.Update<object?>(configuration =>
        {
            mutate(configuration);
            return null;
        });
    }

    /// <summary>
    /// The store's document and its configuration, read once, for a command that hands the whole configuration on
    /// (Export-CasbConfiguration, Copy-CasbStore). A store never written to (a mistyped -StorePath, an unset
    /// $env:CASB_STORE) has none: it would pass on as an empty configuration, which an import or copy with replace
    /// applies by removing everything, so it is <paramref name="errorId"/> (ObjectNotFound) instead.
    /// </summary>
    public static (byte[] Document, CasbConfiguration Configuration) ReadWritten(this IConfigurationStore store, string errorId, string purpose)
    {
        ArgumentNullException.ThrowIfNull(store);
        byte[] document = store.ReadDocument()
            ?? throw new CasbException(errorId, CasbErrorKind.ObjectNotFound,
                $"The store '{store.Location}' has no configuration to {purpose}. Check -StorePath (or $env:CASB_STORE).", store.Location);
        return (document, CasbStore.Parse(document, store.DocumentName));
    }

    /// <summary>
    /// What <paramref name="read"/> reads beside <paramref name="document"/> (the secrets, the blobs), or false when the
    /// store's document is no longer <paramref name="document"/> once it was read: the same document before and after means
    /// what was read belongs to it, since a folder store saves a new secret before the document that refers to it and
    /// prunes old ones only after it, and a database changes both in one transaction. Every reader of the document and its
    /// secrets or blobs together goes through here: read between two revisions, a secret the document refers to is missing.
    /// </summary>
    public static bool TryReadBeside<T>(this IConfigurationStore store, ReadOnlySpan<byte> document, Func<T> read, out T value)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(read);
        value = read();
        return store.ReadDocument() is { } again && again.AsSpan().SequenceEqual(document);
    }
}
