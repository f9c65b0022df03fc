using System.Text;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbCore.SignIn;
using CasbCore.Store;

namespace CasbModule.Tests.Catalogs;

/// <summary>
/// The identity provider is one kind of the registry of configuration items: an export carries the id of its secret,
/// the import plans it (what-if) and applies it with the store's secrets like any other item, and the secret itself
/// never leaves the secrets file.
/// </summary>
public sealed class IdentityProviderImportTests : IDisposable
{
    private const string Secret = "Xq~8a.source-secret-never-exported";
    private const string Authority = "https://idp.contoso.local/realms/staff";

    private readonly CasbStore _source = new(Directory.CreateTempSubdirectory("casb-idp-src-").FullName);
    private readonly CasbStore _target = new(Directory.CreateTempSubdirectory("casb-idp-dst-").FullName);

    public void Dispose()
    {
        Directory.Delete(_source.Path, recursive: true);
        Directory.Delete(_target.Path, recursive: true);
    }

    private byte[] Export()
    {
        _source.Update((c, secrets) =>
        {
            IdentityProviderCatalog.Set(c, secrets, new IdentityProviderChange { Name = "Staff", Authority = Authority, ClientId = "gateway", ClientSecret = Secret }, DateTimeOffset.UtcNow);
            c.Apps.Add(new AppEntry { Name = "Vendor Portal", Upstream = "http://127.0.0.1:5080", Hostnames = { "vendors.contoso.local" }, SignIn = SignInMode.Required });
            return 0;
        });
        return CasbStore.Serialize(_source.Load()); // what Export-CasbConfiguration writes
    }

    private IReadOnlyList<ConfigurationChange> Import(byte[] exported, bool replace = false, string? clientSecret = null) =>
        _target.Update((c, secrets) =>
        {
            ImportFile file = ConfigurationImport.Read(exported, "export.json");
            IReadOnlyList<ConfigurationChange> plan = ConfigurationImport.Plan(c, file, replace, newClientSecret: clientSecret is not null);
            ConfigurationImport.Apply(c, file, plan, secrets, clientSecret);
            return plan;
        });

    [Fact]
    public void The_identity_provider_is_a_kind_of_the_registry_before_the_apps_that_sign_in_with_it()
    {
        ConfigurationItemKind kind = Assert.IsAssignableFrom<ConfigurationItemKind>(ConfigurationItems.Find("IdentityProvider"));

        Assert.Equal("identity provider", ConfigurationImport.Describe(kind.Type));
        Assert.True(ConfigurationItems.All.ToList().IndexOf(kind) < ConfigurationItems.All.ToList().IndexOf(ConfigurationItems.Find("App")!));
        Assert.Empty(kind.Keys(new CasbConfiguration()));
    }

    [Fact]
    public void The_export_has_the_id_of_the_secret_never_the_secret()
    {
        byte[] exported = Export();

        string text = Encoding.UTF8.GetString(exported);
        Assert.DoesNotContain(Secret, text);
        Assert.Contains(_source.Load().IdentityProvider!.ClientSecretId!, text);
        Assert.Contains(Secret, File.ReadAllText(_source.SecretsFile));
    }

    [Fact]
    public void What_if_plans_the_provider_as_an_item_and_changes_nothing()
    {
        byte[] exported = Export();

        IReadOnlyList<ConfigurationChange> plan = ConfigurationImport.Plan(_target.Load(), ConfigurationImport.Read(exported, "export.json"), replace: false);

        Assert.Equal(["Added IdentityProvider Staff", "Added App Vendor Portal"], plan.Select(c => $"{c.Change} {c.ItemType} {c.Name}"));
        Assert.False(File.Exists(_target.ConfigurationFile));
        Assert.False(File.Exists(_target.SecretsFile));
    }

    [Fact]
    public void Into_another_store_the_secret_is_asked_for_and_nothing_is_written_without_it()
    {
        byte[] exported = Export();

        CasbException refused = Assert.Throws<CasbException>(() => Import(exported));

        Assert.Equal(IdentityProviderCatalog.SecretRequiredErrorId, refused.ErrorId);
        Assert.False(File.Exists(_target.ConfigurationFile));
        Assert.DoesNotContain(Secret, refused.Message);

        IReadOnlyList<ConfigurationChange> plan = Import(exported, clientSecret: "target-secret");

        Assert.Contains(plan, c => c.ItemType == "IdentityProvider" && c.Change == ConfigurationChangeKind.Added);
        IdentityProviderEntry provider = _target.Load().IdentityProvider!;
        Assert.Equal("target-secret", _target.LoadSecrets().Get(provider.ClientSecretId));
        Assert.DoesNotContain("target-secret", File.ReadAllText(_target.ConfigurationFile));
        Assert.DoesNotContain(Secret, File.ReadAllText(_target.SecretsFile));
        Assert.Equal(SignInMode.Required, _target.Load().Apps.Single().SignIn);
    }

    [Fact]
    public void A_replace_with_a_file_without_a_provider_removes_it_and_its_secret()
    {
        Import(Export(), clientSecret: "target-secret");
        var empty = new CasbConfiguration();

        IReadOnlyList<ConfigurationChange> plan = Import(CasbStore.Serialize(empty), replace: true);

        Assert.Contains(plan, c => c.ItemType == "IdentityProvider" && c.Change == ConfigurationChangeKind.Removed && c.Name == "Staff");
        Assert.Null(_target.Load().IdentityProvider);
        Assert.DoesNotContain("target-secret", File.ReadAllText(_target.SecretsFile));
    }

    [Fact]
    public void The_same_file_into_the_store_it_came_from_keeps_its_secret_and_its_sessions()
    {
        byte[] exported = Export();
        IdentityProviderEntry before = _source.Load().IdentityProvider!;
        _source.Update((c, secrets) => IdentityProviderCatalog.Set(c, secrets, new IdentityProviderChange { UserClaim = "email" }, DateTimeOffset.UtcNow));

        IReadOnlyList<ConfigurationChange> plan = _source.Update((c, secrets) =>
        {
            ImportFile file = ConfigurationImport.Read(exported, "export.json");
            IReadOnlyList<ConfigurationChange> changes = ConfigurationImport.Plan(c, file, replace: false);
            ConfigurationImport.Apply(c, file, changes, secrets, null);
            return changes;
        });

        Assert.Equal(["Updated IdentityProvider Staff"], plan.Select(c => $"{c.Change} {c.ItemType} {c.Name}"));
        IdentityProviderEntry after = _source.Load().IdentityProvider!;
        Assert.Equal((before.Id, before.ClientSecretId, "preferred_username"), (after.Id, after.ClientSecretId, after.UserClaim));
        Assert.Equal(Secret, _source.LoadSecrets().Get(after.ClientSecretId));
    }

    [Fact]
    public void The_same_file_again_plans_no_change_of_the_provider_whose_credential_and_id_are_the_stores_own()
    {
        byte[] exported = Export();
        Import(exported, clientSecret: "target-secret");
        long revision = _target.Load().Revision;

        IReadOnlyList<ConfigurationChange> again = Import(exported);

        Assert.Empty(again); // -WhatIf and -PassThru said "Updated IdentityProvider", and nothing was changed
        Assert.Equal(revision, _target.Load().Revision);
    }

    [Fact]
    public void A_client_secret_given_for_an_unchanged_provider_is_planned_and_stored()
    {
        byte[] exported = Export();

        IReadOnlyList<ConfigurationChange> plan = _source.Update((c, secrets) =>
        {
            ImportFile file = ConfigurationImport.Read(exported, "export.json");
            IReadOnlyList<ConfigurationChange> changes = ConfigurationImport.Plan(c, file, replace: false, newClientSecret: true);
            ConfigurationImport.Apply(c, file, changes, secrets, "rotated-secret");
            return changes;
        });

        Assert.Equal(["Updated IdentityProvider Staff"], plan.Select(c => $"{c.Change} {c.ItemType} {c.Name}"));
        Assert.Equal("rotated-secret", _source.LoadSecrets().Get(_source.Load().IdentityProvider!.ClientSecretId));
    }

    [Fact]
    public void An_imported_provider_is_validated_like_one_set_by_its_cmdlet()
    {
        Export();
        CasbConfiguration bad = _source.Load();
        bad.IdentityProvider!.Authority = "http://idp.contoso.local/"; // not https

        CasbException refused = Assert.Throws<CasbException>(() => Import(CasbStore.Serialize(bad), clientSecret: "s"));

        Assert.Equal(IdentityProviderRules.AuthorityInvalid, refused.ErrorId);
        Assert.False(File.Exists(_target.ConfigurationFile));
    }
}
