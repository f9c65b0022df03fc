using System.Runtime.Versioning;
using CasbCore;
using CasbCore.Model;
using CasbCore.Store;
using CasbCore.Store.Postgres;
using CasbModule.Tests.Store;
using CsCheck;

namespace CasbModule.Tests.Postgres;

/// <summary>What only the PostgreSQL store has: its URI, how it signs in, its own schema, and the copy to and from it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("postgresql://casb@db.contoso.com:6432/casb", "postgresql://casb@db.contoso.com:6432/casb")]
    [InlineData("postgres://casb@db.contoso.com/casb", "postgresql://casb@db.contoso.com:5432/casb")]
    [InlineData("postgresql://db.contoso.com/casb?sslmode=verify-full", "postgresql://db.contoso.com:5432/casb?sslmode=verify-full")]
    [InlineData("postgresql://ad%40min@[::1]:5433/my%20db", "postgresql://ad%40min@[::1]:5433/my%20db")]
    public void A_store_uri_is_read_as_libpq_writes_it(string text, string canonical)
    {
        PostgresStoreUri uri = PostgresStoreUri.Parse(text);

        Assert.Equal(canonical, uri.Location);
        Assert.Null(uri.Settings.Password);
    }

    [Theory]
    [InlineData("postgresql://casb@db/", "StoreUriInvalid")]
    [InlineData("postgresql:///casb", "StoreUriInvalid")]
    [InlineData("postgresql://casb@db/casb?password=secret", "StoreUriHasPassword")]
    [InlineData("postgresql://casb@db/casb?sslmode=sometimes", "StoreUriInvalid")]
    [InlineData("postgresql://casb:secret@db/casb", "StoreUriHasPassword")]
    public void A_bad_store_uri_is_refused_with_its_own_error(string text, string errorId)
    {
        CasbException error = Assert.Throws<CasbException>(() => ConfigurationStores.Open(text));

        Assert.Equal(errorId, error.ErrorId);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Fact]
    public void A_password_in_a_store_uri_is_refused_and_never_shown_whatever_it_is()
    {
        Gen.String[Gen.Char.AlphaNumeric, 1, 30].Sample(password =>
        {
            string text = $"postgresql://casb:{password}XyZ@db.contoso.com:5432/casb";
            CasbException error = Assert.Throws<CasbException>(() => PostgresStoreUri.Parse(text));
            Assert.Equal("StoreUriHasPassword", error.ErrorId);
            Assert.DoesNotContain(password + "XyZ", error.Message);
            Assert.DoesNotContain(password + "XyZ", error.Target?.ToString() ?? "");
        });
    }

    [UnsupportedOSPlatform("windows")]
    [Fact]
    public void The_password_comes_from_the_passfile_when_PGPASSWORD_is_not_set_and_its_absence_is_a_clear_error()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresStoreTests));
        string passfile = Path.Combine(postgres.Cluster.Folder, $"pgpass-{Guid.NewGuid():N}");
        File.WriteAllText(passfile, $"127.0.0.1:{postgres.Cluster.Port}:*:postgres:{PostgresCluster.Password}\n");
        File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string? password = Environment.GetEnvironmentVariable("PGPASSWORD");
        string? previousPassfile = Environment.GetEnvironmentVariable("PGPASSFILE");
        try
        {
            Environment.SetEnvironmentVariable("PGPASSWORD", null);
            Environment.SetEnvironmentVariable("PGPASSFILE", passfile);
            using (var store = new PostgresStore(PostgresStoreUri.Parse(uri)))
            {
                store.Update(c => c.Groups.Add(new GroupEntry { Name = "from the passfile" }));
                Assert.Equal(1, store.Load().Revision);
            }

            // No password anywhere (an empty passfile), and a PGPASSFILE that names no file.
            string empty = Path.Combine(postgres.Cluster.Folder, $"pgpass-empty-{Guid.NewGuid():N}");
            File.WriteAllText(empty, "");
            File.SetUnixFileMode(empty, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            foreach (string file in new[] { empty, Path.Combine(postgres.Cluster.Folder, "no-such-passfile") })
            {
                Environment.SetEnvironmentVariable("PGPASSFILE", file);
                using var store = new PostgresStore(PostgresStoreUri.Parse(uri));
                CasbException error = Assert.Throws<CasbException>(() => store.Load());
                Assert.True(error.ErrorId == "StoreAuthenticationFailed", $"{error.ErrorId}: {error.Message} {error.InnerException}");
                Assert.Equal(CasbErrorKind.AuthenticationError, error.Kind);
                Assert.Contains("PGPASSWORD", error.Message);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGPASSWORD", password);
            Environment.SetEnvironmentVariable("PGPASSFILE", previousPassfile);
        }
    }

    [Fact]
    public void A_server_that_does_not_answer_is_StoreUnavailable()
    {
        using var store = new PostgresStore(PostgresStoreUri.Parse("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2"));

        CasbException error = Assert.Throws<CasbException>(() => store.Load());

        Assert.Equal("StoreUnavailable", error.ErrorId);
        Assert.Equal(CasbErrorKind.ConnectionError, error.Kind);
    }

    [Fact]
    public void A_database_user_without_the_privileges_is_StorePermissionDenied_and_nothing_is_changed()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresStoreTests));
        string database = uri[(uri.LastIndexOf('/') + 1)..];
        using (var owner = new PostgresStore(PostgresStoreUri.Parse(uri)))
        {
            owner.Update(c => c.Groups.Add(new GroupEntry { Name = "Vendors" }));
        }

        // A role that may sign in with the cluster's password (PGPASSWORD) but was granted nothing on the schema.
        string role = $"reader_{Guid.NewGuid():N}"[..20];
        postgres.Cluster.Sql(database, $"create role {role} login password '{PostgresCluster.Password}'");
        string roleUri = uri.Replace($"//{PostgresCluster.User}@", $"//{role}@", StringComparison.Ordinal);
        using var store = new PostgresStore(PostgresStoreUri.Parse(roleUri));

        CasbException read = Assert.Throws<CasbException>(() => store.Load());
        CasbException write = Assert.Throws<CasbException>(() => store.Update(c => c.Groups.Add(new GroupEntry { Name = "Lost" })));

        foreach (CasbException error in new[] { read, write })
        {
            Assert.True(error.ErrorId == "StorePermissionDenied", $"{error.ErrorId}: {error.Message}");
            Assert.Equal(CasbErrorKind.PermissionDenied, error.Kind);
            Assert.Contains("docs/store.md", error.Message);
        }

        Assert.Equal("1", postgres.Cluster.Sql(database, "select revision from casb.configuration").Trim());

        // The rights docs/store.md names, without CREATE on the database (the schema is there): the same store now works.
        postgres.Cluster.Sql(database, $"grant usage on schema casb to {role}; grant select, insert, update, delete on all tables in schema casb to {role}");
        store.Update(c => c.Groups.Add(new GroupEntry { Name = "Granted" }));
        Assert.Equal(["Vendors", "Granted"], store.Load().Groups.Select(g => g.Name));
    }

    [Fact]
    public void A_read_only_database_is_StoreReadOnly_on_a_change_and_still_read()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresStoreTests));
        string database = uri[(uri.LastIndexOf('/') + 1)..];
        using (var owner = new PostgresStore(PostgresStoreUri.Parse(uri)))
        {
            owner.Update(c => c.Groups.Add(new GroupEntry { Name = "Vendors" }));
        }

        // What a hot standby answers to every write.
        postgres.Cluster.Sql(database, $"alter database {database} set default_transaction_read_only = on");
        using var store = new PostgresStore(PostgresStoreUri.Parse(uri));

        CasbException error = Assert.Throws<CasbException>(() => store.Update(c => c.Groups.Add(new GroupEntry { Name = "Lost" })));

        Assert.True(error.ErrorId == "StoreReadOnly", $"{error.ErrorId}: {error.Message}");
        Assert.Equal(CasbErrorKind.WriteError, error.Kind);
        Assert.Contains("standby", error.Message);
        Assert.Equal(["Vendors"], store.Load().Groups.Select(g => g.Name));
    }

    [Fact]
    public void The_schema_is_created_once_by_stores_that_start_together()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresStoreTests));
        string database = uri[(uri.LastIndexOf('/') + 1)..];

        Parallel.For(0, 6, _ =>
        {
            using var store = new PostgresStore(PostgresStoreUri.Parse(uri));
            store.Load();
        });

        Assert.Equal($"{PostgresSchema.LatestVersion}|{PostgresSchema.LatestVersion}",
            postgres.Cluster.Sql(database, "select count(*) || '|' || max(version) from casb.schema_migrations"));
    }

    [Fact]
    public void A_database_migrated_by_a_newer_CasbModule_is_refused_and_left_untouched()
    {
        string uri = postgres.CreateStoreUri(nameof(PostgresStoreTests));
        string database = uri[(uri.LastIndexOf('/') + 1)..];
        using (var first = new PostgresStore(PostgresStoreUri.Parse(uri)))
        {
            first.Update(c => c.Groups.Add(new GroupEntry { Name = "kept" }));
        }

        postgres.Cluster.Sql(database, "insert into casb.schema_migrations (version, description) values (999, 'from the future')");
        string before = postgres.Cluster.Sql(database, "select revision || document from casb.configuration");

        using var store = new PostgresStore(PostgresStoreUri.Parse(uri));
        CasbException error = Assert.Throws<CasbException>(() => store.Update(c => c.Groups.Clear()));

        Assert.Equal("StoreSchemaUnsupported", error.ErrorId);
        Assert.Contains("999", error.Message);
        Assert.Equal(before, postgres.Cluster.Sql(database, "select revision || document from casb.configuration"));
    }

    [Fact]
    public void A_store_copied_to_a_database_and_back_keeps_its_configuration_secrets_and_blobs()
    {
        using StoreUnderTest folder = StoreUnderTest.Create(StoreUnderTest.Folder, postgres);
        using StoreUnderTest database = StoreUnderTest.Create(StoreUnderTest.Postgres, postgres);
        using StoreUnderTest back = StoreUnderTest.Create(StoreUnderTest.Folder, postgres);
        string secretId = folder.Store.Update((c, secrets) =>
        {
            c.Groups.Add(new GroupEntry { Name = "Vendors", Members = { "vendor@fabrikam.com" } });
            string id = secrets.Add("s3cret");
            c.IdentityProvider = new IdentityProviderEntry { Name = "Entra", ClientSecretId = id };
            return id;
        });
        folder.Store.TryAddBlob(StoreBlobNames.ServerCertificate, [1, 2, 3]);
        folder.Store.TryAddBlob("keys/key-1.xml", "<key/>"u8);

        StoreCopyResult there = StoreCopy.Copy(folder.Store, database.Store, force: false);
        StoreCopyResult home = StoreCopy.Copy(database.Store, back.Store, force: false);

        Assert.Equal(1, there.Revision);
        Assert.Equal([StoreSecrets.FileName, StoreBlobNames.ServerCertificate, "keys/key-1.xml"], there.Blobs.Order(StringComparer.Ordinal));
        Assert.Equal(["Vendors"], database.Store.Load().Groups.Select(g => g.Name));
        Assert.Equal("s3cret", database.Store.LoadSecrets().Get(secretId));
        Assert.Equal("s3cret", back.Store.LoadSecrets().Get(secretId));
        Assert.Equal([1, 2, 3], back.Store.ReadBlob(StoreBlobNames.ServerCertificate));
        // The same configuration; each write stamps its own modifiedAt (whose text length varies with its digits).
        CasbConfiguration inDatabase = database.Store.Load();
        CasbConfiguration atHome = back.Store.Load();
        atHome.ModifiedAt = inDatabase.ModifiedAt;
        Assert.Equal(CasbStore.Serialize(inDatabase), CasbStore.Serialize(atHome));
        Assert.Equal(1, home.Revision);
    }

    [Fact]
    public void A_copy_refuses_a_target_that_is_not_empty_unless_forced_and_a_corrupt_one_always()
    {
        using StoreUnderTest source = StoreUnderTest.Create(StoreUnderTest.Folder, postgres);
        using StoreUnderTest target = StoreUnderTest.Create(StoreUnderTest.Postgres, postgres);
        source.Store.Update(c => c.Groups.Add(new GroupEntry { Name = "from source" }));
        target.Store.Update(c => c.Groups.Add(new GroupEntry { Name = "already there" }));
        target.Store.Update(c => c.Groups.Add(new GroupEntry { Name = "and more" }));

        Assert.Equal("StoreCopyTargetNotEmpty", Assert.Throws<CasbException>(() => StoreCopy.Copy(source.Store, target.Store, force: false)).ErrorId);
        Assert.Equal(2, target.Store.Load().Revision);

        StoreCopyResult forced = StoreCopy.Copy(source.Store, target.Store, force: true);
        Assert.Equal(3, forced.Revision);
        Assert.Equal(["from source"], target.Store.Load().Groups.Select(g => g.Name));

        target.WriteRaw("{ corrupt");
        Assert.Equal("StoreCorrupt", Assert.Throws<CasbException>(() => StoreCopy.Copy(source.Store, target.Store, force: true)).ErrorId);
        Assert.Equal("{ corrupt", target.ReadRaw());
        using StoreUnderTest empty = StoreUnderTest.Create(StoreUnderTest.Folder, postgres);
        Assert.Equal("StoreCopySourceEmpty", Assert.Throws<CasbException>(() => StoreCopy.Copy(empty.Store, source.Store, force: true)).ErrorId);
    }
}
