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
}
