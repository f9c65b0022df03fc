using CasbCore.Model;
using CasbCore.Store;

namespace CasbCore.Catalogs;

/// <summary>
/// What an import applies from: the file's configuration, and for an item with a secret (the identity provider) the
/// store's secrets and a secret given with the import. A file never carries a secret, only the id of one.
/// </summary>
internal sealed record ImportSource(CasbConfiguration Configuration, StoreSecrets? Secrets, string? IdentityProviderClientSecret);
