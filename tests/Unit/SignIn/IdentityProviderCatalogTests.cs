using System.Text;
using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.SignIn;
using CasbCore.Store;

namespace CasbModule.Tests.SignIn;

/// <summary>The identity provider in the store: written through the catalog, its secret only in the secrets file.</summary>
public sealed class IdentityProviderCatalogTests : IDisposable
{
    private const string Authority = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";
    private const string Secret = "s3cr3t-Value~that.must.never.show";

    private readonly CasbStore _store = new(Directory.CreateTempSubdirectory("casb-idp-").FullName);

    public void Dispose() => Directory.Delete(_store.Path, recursive: true);

    private IdentityProviderEntry Set(IdentityProviderChange change) =>
        _store.Update((c, secrets) => IdentityProviderCatalog.Set(c, secrets, change, DateTimeOffset.UtcNow));

    private static IdentityProviderChange New => new() { Authority = Authority, ClientId = "gateway-app", ClientSecret = Secret };

    [Fact]
    public void The_secret_is_in_the_secrets_file_with_mode_600_and_never_in_casb_json()
    {
        IdentityProviderEntry provider = Set(New);

        string configuration = File.ReadAllText(_store.ConfigurationFile);
        Assert.DoesNotContain(Secret, configuration);
        Assert.Contains(provider.ClientSecretId!, configuration);
        Assert.Equal(Secret, _store.LoadSecrets().Get(provider.ClientSecretId));
        Assert.Equal("login.microsoftonline.com", provider.Name);
        Assert.Equal(["openid", "profile", "email"], provider.Scopes);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_store.SecretsFile));
        }

        // What Export-CasbConfiguration writes is the configuration: no secret in it either.
        Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(CasbStore.Serialize(_store.Load())));
    }

    [Fact]
    public void A_new_secret_replaces_the_old_one_in_the_secrets_file()
    {
        string first = Set(New).ClientSecretId!;
        string second = Set(new IdentityProviderChange { ClientSecret = "another" }).ClientSecretId!;

        StoreSecrets secrets = _store.LoadSecrets();
        Assert.NotEqual(first, second);
        Assert.False(secrets.Contains(first));
        Assert.Equal("another", secrets.Get(second));
    }

    [Fact]
    public void Changing_the_authority_or_the_client_ends_the_sessions_of_the_old_one()
    {
        string id = Set(New).Id;
        string sameId = Set(new IdentityProviderChange { UserClaim = "upn", SessionLifetimeMinutes = 60 }).Id;
        string newId = Set(new IdentityProviderChange { ClientId = "another-app" }).Id;

        Assert.Equal(id, sameId);
        Assert.NotEqual(id, newId);
    }

    [Theory]
    [InlineData("http://login.example/v2.0", IdentityProviderRules.AuthorityInvalid)]
    [InlineData("login.example", IdentityProviderRules.AuthorityInvalid)]
    [InlineData("https://login.example/?tenant=x", IdentityProviderRules.AuthorityInvalid)]
    public void A_bad_authority_is_refused_before_anything_is_written(string authority, string errorId)
    {
        CasbException ex = Assert.Throws<CasbException>(() => Set(New with { Authority = authority }));

        Assert.Equal(errorId, ex.ErrorId);
        Assert.False(File.Exists(_store.ConfigurationFile));
        Assert.False(File.Exists(_store.SecretsFile));
    }

    [Fact]
    public void A_new_provider_needs_a_client_id_and_a_credential()
    {
        Assert.Equal(IdentityProviderRules.ClientIdMissing, Assert.Throws<CasbException>(() => Set(New with { ClientId = null })).ErrorId);
        Assert.Equal(IdentityProviderRules.ClientIdMissing, Assert.Throws<CasbException>(() => Set(New with { ClientId = " " })).ErrorId);
        Assert.Equal(IdentityProviderRules.CredentialMissing, Assert.Throws<CasbException>(() => Set(New with { ClientSecret = null })).ErrorId);
        Assert.Equal(IdentityProviderRules.InvalidSessionLifetime, Assert.Throws<CasbException>(() => Set(New with { SessionLifetimeMinutes = 0 })).ErrorId);
        Assert.Equal(IdentityProviderRules.InvalidScope, Assert.Throws<CasbException>(() => Set(New with { Scopes = ["open id"] })).ErrorId);
        Assert.Equal(IdentityProviderRules.InvalidUserClaim, Assert.Throws<CasbException>(() => Set(New with { UserClaim = "name" })).ErrorId);
        Assert.Null(_store.Load().IdentityProvider);
    }

    [Fact]
    public void Removing_is_refused_while_an_app_signs_users_in_and_takes_the_secret_with_it()
    {
        Set(New);
        _store.Update(c => c.Apps.Add(new AppEntry { Name = "Portal", Upstream = "http://127.0.0.1:1", SignIn = SignInMode.Required }));

        CasbException inUse = Assert.Throws<CasbException>(() => _store.Update((c, _) => IdentityProviderCatalog.Remove(c)));
        Assert.Equal(IdentityProviderCatalog.InUseErrorId, inUse.ErrorId);
        Assert.Contains("'Portal'", inUse.Message);

        _store.Update(c => c.Apps[0].SignIn = SignInMode.None);
        _store.Update((c, _) => IdentityProviderCatalog.Remove(c));

        Assert.Null(_store.Load().IdentityProvider);
        Assert.DoesNotContain(Secret, File.ReadAllText(_store.SecretsFile));
        Assert.Equal(IdentityProviderCatalog.NotFoundErrorId,
            Assert.Throws<CasbException>(() => _store.Update((c, _) => IdentityProviderCatalog.Remove(c))).ErrorId);
    }

    [Fact]
    public void An_app_that_signs_users_in_needs_an_identity_provider()
    {
        var configuration = new CasbConfiguration
        {
            Apps = [new AppEntry { Name = "Portal", Upstream = "http://127.0.0.1:1", SignIn = SignInMode.Optional }],
        };

        ConfigurationProblem problem = Assert.Single(ConfigurationValidator.Validate(configuration));
        Assert.Equal(IdentityProviderRules.SignInWithoutIdentityProvider, problem.ErrorId);
    }

    [Fact]
    public void A_sign_in_setting_or_mismatch_setting_that_is_not_a_name_is_invalid()
    {
        var configuration = new CasbConfiguration
        {
            Apps = [new AppEntry { Name = "Portal", Upstream = "http://127.0.0.1:1", SignIn = (SignInMode)7 }],
            Settings = { CertificateUserMismatch = (CertificateUserMismatchAction)9 },
        };

        IReadOnlyList<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration);

        Assert.Contains(problems, p => p.ErrorId == "InvalidSignIn" && p.Item == "Portal");
        Assert.Contains(problems, p => p.ErrorId == "InvalidCertificateUserMismatch");
    }
}
