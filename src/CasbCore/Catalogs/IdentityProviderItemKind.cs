using System.Text.Json;
using System.Text.Json.Nodes;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.SignIn;
using CasbCore.Store;

namespace CasbCore.Catalogs;

/// <summary>
/// The identity provider as a kind of configuration item: at most one, keyed by its name. An import plans it as
/// added, updated or (with -Replace) removed like any other item, and applies it with the store's secrets
/// (<see cref="IdentityProviderCatalog.Import"/>): the file has the id of the client secret, never the secret.
/// </summary>
internal sealed class IdentityProviderItemKind() : ConfigurationItemKind("IdentityProvider", "identity provider")
{
    public override bool IsNamed => false;

    public override IEnumerable<string> Keys(CasbConfiguration configuration) =>
        configuration.IdentityProvider is { } provider ? [provider.Name] : [];

    internal override IEnumerable<ConfigurationChange> Plan(CasbConfiguration current, CasbConfiguration imported, bool replace)
    {
        if (imported.IdentityProvider is { } provider)
        {
            if (current.IdentityProvider is null || !SameJson(current.IdentityProvider, provider))
            {
                yield return new ConfigurationChange(
                    Type, provider.Name, current.IdentityProvider is null ? ConfigurationChangeKind.Added : ConfigurationChangeKind.Updated);
            }
        }
        else if (replace && current.IdentityProvider is { } removed)
        {
            yield return new ConfigurationChange(Type, removed.Name, ConfigurationChangeKind.Removed);
        }
    }

    internal override void Apply(CasbConfiguration configuration, ImportSource source, ConfigurationChange change)
    {
        if (change.Change == ConfigurationChangeKind.Removed)
        {
            IdentityProviderCatalog.Import(configuration, source.Secrets ?? StoreSecretsRequired(), null, null);
            return;
        }

        IdentityProviderCatalog.Import(configuration, source.Secrets ?? StoreSecretsRequired(), source.Configuration.IdentityProvider, source.IdentityProviderClientSecret);
    }

    internal override string? FindKeyProblem(CasbConfiguration imported) => null; // its name and fields are the validator's

    // Apps sign users in with it, but name no provider: removing or renaming an app never changes it.
    internal override IEnumerable<string> UsingApp(CasbConfiguration configuration, string app) => [];

    internal override IEnumerable<string> UsingGroup(CasbConfiguration configuration, string group) => [];

    internal override IReadOnlyList<string> RemoveApp(CasbConfiguration configuration, string app, DateTimeOffset now) => [];

    internal override void RenameApp(CasbConfiguration configuration, string oldName, string newName)
    {
    }

    internal override void Validate(CasbConfiguration configuration, HashSet<string> apps, HashSet<string> groups, List<ConfigurationProblem> problems) =>
        IdentityProviderRules.Validate(configuration, (id, item, message) => problems.Add(new ConfigurationProblem(id, item, message)));

    private static StoreSecrets StoreSecretsRequired() =>
        throw new InvalidOperationException("An identity provider is imported with the store's secrets (CasbStore.Update with StoreSecrets).");

    // The id and the credential references are the store's own: Apply keeps the store's (or, given a client secret,
    // stores it; see ConfigurationImport.Plan), never the file's, so they alone are no change.
    private static bool SameJson(IdentityProviderEntry a, IdentityProviderEntry b) =>
        JsonSerializer.Serialize(WithoutStoreFields(a), CasbStore.SerializerOptions) == JsonSerializer.Serialize(WithoutStoreFields(b), CasbStore.SerializerOptions);

    private static JsonObject WithoutStoreFields(IdentityProviderEntry provider)
    {
        JsonObject json = JsonSerializer.SerializeToNode(provider, CasbStore.SerializerOptions)!.AsObject();
        foreach (string field in (string[])["id", "clientSecretId", "clientCertificateId", "clientCertificateThumbprint"])
        {
            json.Remove(field);
        }

        return json;
    }
}
