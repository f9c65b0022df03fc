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
}
