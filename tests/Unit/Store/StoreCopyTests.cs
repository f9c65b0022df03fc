using System.Text;
using CasbCore;
using CasbCore.Model;
using CasbCore.Store;
using CasbCore.Store.Postgres;
using CasbModule.Tests.Postgres;

namespace CasbModule.Tests.Store;

/// <summary>
/// Copy-CasbStore -Force in the engine: the target ends as exactly the source, written in one step, and a copy that
/// fails part-way or meets a change made meanwhile leaves the target as it was (tests/Pester/Copy-CasbStore.Tests.ps1
/// has the cmdlet's side: -WhatIf, the error ids, both directions).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StoreCopyTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData(StoreUnderTest.Folder, StoreUnderTest.Postgres)]
    [InlineData(StoreUnderTest.Postgres, StoreUnderTest.Folder)]
    public void A_forced_copy_leaves_the_target_with_exactly_the_source_configuration_and_blobs(string fromKind, string toKind)
    {
        using StoreUnderTest source = StoreUnderTest.Create(fromKind, postgres);
        using StoreUnderTest target = StoreUnderTest.Create(toKind, postgres);
        string secretId = Seed(source.Store, "source");
        Seed(target.Store, "target");
        target.Store.TryAddBlob("keys/key-only-target.xml", "<key id=\"only-target\"/>"u8);
        target.Store.TryAddBlob("key-claims/7", "gw"u8);
        long targetRevision = target.Store.Load().Revision;

        StoreCopyPlan plan = StoreCopy.Plan(source.Store, target.Store, force: true);
        StoreCopyResult result = StoreCopy.Copy(target.Store, plan);

        Assert.Equal(["key-claims/7", "keys/key-only-target.xml", "keys/key-target.xml"], plan.RemovedBlobs);
        Assert.Equal(["keys/key-source.xml"], plan.AddedBlobs);
        Assert.Equal([StoreSecrets.FileName, StoreBlobNames.ServerCertificate], plan.ReplacedBlobs);
        Assert.Equal(plan.RemovedBlobs, result.RemovedBlobs);
        Assert.Equal(source.Store.ListBlobs(""), target.Store.ListBlobs(""));
        Assert.All(source.Store.ListBlobs(""), name => Assert.Equal(source.Store.ReadBlob(name), target.Store.ReadBlob(name)));
        Assert.Equal(targetRevision + 1, result.Revision);
        Assert.Equal(["source group"], target.Store.Load().Groups.Select(g => g.Name));
        Assert.Equal("source secret", target.Store.LoadSecrets().Get(secretId));
    }

    [Fact]
    public void A_folder_copy_that_fails_while_replacing_files_puts_back_those_already_replaced()
    {
        using StoreUnderTest source = StoreUnderTest.Create(StoreUnderTest.Postgres, postgres);
        using StoreUnderTest target = StoreUnderTest.Create(StoreUnderTest.Folder, postgres);
        Seed(source.Store, "source");
        Seed(target.Store, "target");
        source.Store.TryAddBlob("keys/key-z.xml", "<key id=\"z\"/>"u8);
        string folder = target.Location;
        // The last file to replace cannot be: a folder stands where it goes. Secrets and the certificate come before it.
        Directory.CreateDirectory(Path.Combine(folder, "keys", "key-z.xml"));
        Dictionary<string, byte[]> before = Snapshot(folder);

        CasbException error = Assert.Throws<CasbException>(() => StoreCopy.Copy(source.Store, target.Store, force: true));

        Assert.Equal("StoreWriteFailed", error.ErrorId);
        Assert.Contains("put back", error.Message);
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), Snapshot(folder).Keys.Order(StringComparer.Ordinal));
        Assert.All(before, file => Assert.Equal(file.Value, File.ReadAllBytes(Path.Combine(folder, file.Key))));
        Assert.Equal(["target group"], target.Store.Load().Groups.Select(g => g.Name));
    }

    [Fact]
    public void A_database_copy_that_fails_part_way_commits_nothing()
    {
        using StoreUnderTest source = StoreUnderTest.Create(StoreUnderTest.Folder, postgres);
        string database = postgres.CreateDatabase("copyfail");
        using var target = new PostgresStore(PostgresStoreUri.Parse(postgres.Cluster.Uri(database)));
        Seed(source.Store, "source");
        Seed(target, "target");
        string[] before = Blobs(database);
        // The database refuses the last blob of the copy, after the delete and the other writes of its transaction.
        postgres.Cluster.Sql(database, """
            create function refuse_key() returns trigger language plpgsql as $$ begin raise exception 'refused for the test'; end $$;
            create trigger refuse_key before insert on casb.blobs for each row when (new.name = 'keys/key-source.xml') execute function refuse_key();
            """);

        Assert.Throws<CasbException>(() => StoreCopy.Copy(source.Store, target, force: true));

        Assert.Equal(before, Blobs(database));
        Assert.Equal(["target group"], target.Load().Groups.Select(g => g.Name));
    }

    [Theory]
    [InlineData(StoreUnderTest.Folder)]
    [InlineData(StoreUnderTest.Postgres)]
    public void A_target_changed_after_the_plan_is_a_conflict_and_keeps_everything(string kind)
    {
        using StoreUnderTest source = StoreUnderTest.Create(kind == StoreUnderTest.Folder ? StoreUnderTest.Postgres : StoreUnderTest.Folder, postgres);
        using StoreUnderTest target = StoreUnderTest.Create(kind, postgres);
        Seed(source.Store, "source");
        Seed(target.Store, "target");
        StoreCopyPlan plan = StoreCopy.Plan(source.Store, target.Store, force: true);

        target.Store.Update(c => c.Groups.Add(new GroupEntry { Name = "added meanwhile" }));

        Assert.Equal("StoreConflict", Assert.Throws<CasbException>(() => StoreCopy.Copy(target.Store, plan)).ErrorId);
        Assert.Equal(["target group", "added meanwhile"], target.Store.Load().Groups.Select(g => g.Name));
        Assert.Equal("<key id=\"target\"/>", Encoding.UTF8.GetString(target.Store.ReadBlob("keys/key-target.xml")!));
    }

    // A configuration with a secret, the server certificate and one sign-in key, each marked with whose it is.
    private static string Seed(IConfigurationStore store, string owner)
    {
        string id = store.Update((c, secrets) =>
        {
            c.Groups.Add(new GroupEntry { Name = $"{owner} group" });
            string secret = secrets.Add($"{owner} secret");
            c.IdentityProvider = new IdentityProviderEntry { Name = "Entra", ClientSecretId = secret };
            return secret;
        });
        store.WriteBlob(StoreBlobNames.ServerCertificate, Encoding.UTF8.GetBytes($"{owner} certificate"));
        store.TryAddBlob($"keys/key-{owner}.xml", Encoding.UTF8.GetBytes($"<key id=\"{owner}\"/>"));
        return id;
    }

    private string[] Blobs(string database) =>
        postgres.Cluster.Sql(database, "select name || '=' || encode(content, 'hex') from casb.blobs order by name collate \"C\"")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    // Every file of a folder store (the lock file aside), by path relative to the folder.
    private static Dictionary<string, byte[]> Snapshot(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "casb.json.lock")
            .ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    /// <summary>
    /// One database named through another user, another case of its host or the default port written out is one store:
    /// refused before anything is read (no server is needed to see it), as a folder is however its path is spelt.
    /// </summary>
    [Theory]
    [InlineData("postgresql://alice@db.contoso.local/casb", "postgresql://bob@DB.Contoso.Local:5432/casb")]
    [InlineData("postgresql://alice@127.0.0.1:6543/casb", "postgres://127.0.0.1:6543/casb?sslmode=disable")]
    public void The_same_database_named_two_ways_is_StoreCopySameStore(string from, string to)
    {
        using var source = new PostgresStore(PostgresStoreUri.Parse(from));
        using var target = new PostgresStore(PostgresStoreUri.Parse(to));

        Assert.Equal("StoreCopySameStore", Assert.Throws<CasbException>(() => StoreCopy.Plan(source, target, force: true)).ErrorId);
    }
}
