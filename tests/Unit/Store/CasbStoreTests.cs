using System.Security.Cryptography;
using System.Text;
using CasbCore;
using CasbCore.Model;
using CasbCore.Store;
using CasbModule.Tests.Postgres;
using CsCheck;

namespace CasbModule.Tests.Store;

/// <summary>The store's guarantees, on a folder and on PostgreSQL alike.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CasbStoreTests(PostgresFixture postgres)
{
    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void A_missing_store_loads_as_an_empty_configuration_at_revision_zero(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);

        CasbConfiguration configuration = test.Store.Load();

        Assert.Equal(0, configuration.Revision);
        Assert.Equal(CasbConfiguration.CurrentSchemaVersion, configuration.SchemaVersion);
        Assert.Empty(configuration.TrustedRoots);
        Assert.Null(test.ReadRaw());
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void The_document_hash_is_the_sha256_of_the_document_as_read_whatever_its_text(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        Assert.Null(test.Store.DocumentHash());

        // Any text a hand edit could leave (ASCII, accents, CJK, characters outside the BMP, control characters but NUL,
        // which neither a file edit nor PostgreSQL text keeps): a gateway that hashed other bytes than it reads would
        // re-read, or miss, a change.
        Gen<char> chars = Gen.Frequency(
            (6, Gen.Char['\u0001', '\u007f']),
            (2, Gen.Char['\u00a0', '\u024f']),
            (1, Gen.Char['\u4e00', '\u4fff']));
        Gen<string> astral = Gen.Int[0x1F300, 0x1F64F].Select(char.ConvertFromUtf32);
        Gen.Frequency((8, chars.Select(c => c.ToString())), (1, astral))
            .Array[0, 40]
            .Select(parts => "{ \"note\": \"" + string.Concat(parts) + "\" }")
            .Where(text => !text.Contains('$'))
            .Sample(text =>
            {
                test.WriteRaw(text);
                byte[] read = test.Store.ReadDocument()!;
                Assert.Equal(Encoding.UTF8.GetBytes(text), read);
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(read)), test.Store.DocumentHash());
            }, iter: 30, threads: 1);
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void An_update_that_changes_something_increments_the_revision_and_one_that_does_not_leaves_it(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);

        test.Store.Update(c => c.Settings.DefaultAction = DefaultAction.Block);
        test.Store.Update(c => c.Settings.DefaultAction = DefaultAction.Block);

        CasbConfiguration configuration = test.Store.Load();
        Assert.Equal(1, configuration.Revision);
        Assert.Equal(DefaultAction.Block, configuration.Settings.DefaultAction);
        Assert.Contains("\"defaultAction\": \"Block\"", test.ReadRaw());
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void A_failing_update_writes_nothing(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        test.Store.Update(c => c.Settings.ActivityRetentionDays = 7);
        string? before = test.ReadRaw();

        Assert.Throws<InvalidOperationException>(() => test.Store.Update(c =>
        {
            c.Settings.ActivityRetentionDays = 99;
            throw new InvalidOperationException("refused");
        }));

        Assert.Equal(before, test.ReadRaw());
    }

    public static TheoryData<string, string, string> CorruptDocuments()
    {
        var data = new TheoryData<string, string, string>();
        foreach (string kind in new[] { StoreUnderTest.Folder, StoreUnderTest.Postgres })
        {
            data.Add(kind, "{ not json", "StoreCorrupt");
            data.Add(kind, "[]", "StoreCorrupt");
            data.Add(kind, "{\"revision\": 3}", "StoreCorrupt");
            data.Add(kind, "{\"schemaVersion\": 99, \"revision\": 3}", "StoreSchemaUnsupported");
            data.Add(kind, "{\"schemaVersion\": 1, \"settings\": {\"defaultAction\": \"Maybe\"}}", "StoreCorrupt");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CorruptDocuments))]
    public void A_corrupt_or_unknown_store_document_is_a_clear_error_and_is_never_overwritten(string kind, string content, string errorId)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        test.WriteRaw(content);

        CasbException load = Assert.Throws<CasbException>(() => test.Store.Load());
        CasbException update = Assert.Throws<CasbException>(() => test.Store.Update(c => c.Settings.ActivityRetentionDays = 1));
        CasbException write = Assert.Throws<CasbException>(() => test.Store.Write(new CasbConfiguration(), 3));

        Assert.Equal(errorId, load.ErrorId);
        Assert.Equal(errorId, update.ErrorId);
        Assert.Equal(errorId, write.ErrorId);
        Assert.Contains(test.Store.DocumentName, load.Message);
        Assert.Equal(content, test.ReadRaw());
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void Concurrent_writers_through_two_handles_lose_no_update(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        IConfigurationStore[] handles = [test.Store, test.OpenAnother()];
        try
        {
            Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
                handles[i % 2].Update(c => c.Groups.Add(new GroupEntry { Name = $"group-{i}" })));
        }
        finally
        {
            (handles[1] as IDisposable)?.Dispose();
        }

        CasbConfiguration configuration = test.Store.Load();
        Assert.Equal(40, configuration.Groups.Select(g => g.Name).Distinct().Count());
        Assert.Equal(40, configuration.Revision);
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void A_write_against_a_revision_that_is_no_longer_current_is_a_conflict_and_writes_nothing(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        CasbConfiguration mine = test.Store.Load();
        Assert.Equal(1, test.Store.Write(new CasbConfiguration { Groups = { new GroupEntry { Name = "theirs" } } }, 0));
        string? theirs = test.ReadRaw();

        mine.Groups.Add(new GroupEntry { Name = "mine" });
        CasbException conflict = Assert.Throws<CasbException>(() => test.Store.Write(mine, 0));

        Assert.Equal("StoreConflict", conflict.ErrorId);
        Assert.Equal(CasbErrorKind.ResourceBusy, conflict.Kind);
        Assert.Contains("revision 1, not 0", conflict.Message);
        Assert.Equal(theirs, test.ReadRaw());
        Assert.Equal(2, test.Store.Write(mine, 1));
        Assert.Equal("mine", Assert.Single(test.Store.Load().Groups).Name);
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void A_secret_is_kept_while_the_configuration_refers_to_it_and_goes_with_its_last_reference(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);

        string id = test.Store.Update((c, secrets) =>
        {
            string added = secrets.Add("client-secret-value");
            c.IdentityProvider = new IdentityProviderEntry { Name = "Entra", ClientSecretId = added };
            return added;
        });

        Assert.Equal("client-secret-value", test.Store.LoadSecrets().Get(id));
        Assert.DoesNotContain("client-secret-value", test.ReadRaw());

        test.Store.Update((c, _) => c.IdentityProvider = null);

        Assert.Null(test.Store.LoadSecrets().Get(id));
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void A_shared_blob_is_created_once_replaced_on_request_and_listed_by_prefix(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);

        Assert.True(test.Store.TryAddBlob("keys/key-1.xml", "<key id='1'/>"u8));
        Assert.False(test.Store.TryAddBlob("keys/key-1.xml", "<key id='other'/>"u8));
        Assert.True(test.Store.TryAddBlob(StoreBlobNames.ServerCertificate, [1, 2, 3]));
        test.Store.WriteBlob(StoreBlobNames.ServerCertificate, [4, 5]);

        Assert.Equal("<key id='1'/>"u8.ToArray(), test.Store.ReadBlob("keys/key-1.xml"));
        Assert.Equal([4, 5], test.Store.ReadBlob(StoreBlobNames.ServerCertificate));
        Assert.Null(test.Store.ReadBlob("keys/none.xml"));
        Assert.Equal(["keys/key-1.xml"], test.Store.ListBlobs(StoreBlobNames.KeysFolder));
        Assert.Equal([StoreBlobNames.ServerCertificate, "keys/key-1.xml"], test.Store.ListBlobs(""));
    }

    [Theory]
    [InlineData(StoreUnderTest.Folder, "../outside")]
    [InlineData(StoreUnderTest.Folder, "keys/../../x")]
    [InlineData(StoreUnderTest.Folder, "/etc/passwd")]
    [InlineData(StoreUnderTest.Postgres, "keys//x")]
    [InlineData(StoreUnderTest.Postgres, "keys/x y.xml")]
    [InlineData(StoreUnderTest.Postgres, "")]
    public void A_blob_name_that_could_leave_the_store_is_refused(string kind, string name)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);

        Assert.Equal("StoreBlobNameInvalid", Assert.Throws<CasbException>(() => test.Store.WriteBlob(name, [1])).ErrorId);
        Assert.Equal("StoreBlobNameInvalid", Assert.Throws<CasbException>(() => test.Store.ReadBlob(name)).ErrorId);
    }

    [Theory]
    [MemberData(nameof(StoreUnderTest.Kinds), MemberType = typeof(StoreUnderTest))]
    public void A_change_made_through_another_handle_is_announced_to_a_watcher(string kind)
    {
        using StoreUnderTest test = StoreUnderTest.Create(kind, postgres);
        test.Store.Load();
        using var heard = new SemaphoreSlim(0);
        using IDisposable watch = test.Store.WatchChanges(() => heard.Release(), _ => { });
        Thread.Sleep(500); // the watch is set up (a database listener connects and announces once)
        while (heard.Wait(0))
        {
        }

        IConfigurationStore other = test.OpenAnother();
        try
        {
            other.Update(c => c.Groups.Add(new GroupEntry { Name = "announced" }));
        }
        finally
        {
            (other as IDisposable)?.Dispose();
        }

        Assert.True(heard.Wait(TimeSpan.FromSeconds(10)), "no change was announced");
    }

    [Fact]
    public void The_store_path_comes_from_the_parameter_then_the_environment()
    {
        string folder = Path.Combine(Path.GetTempPath(), "casb-store-path");
        Assert.Equal(Path.GetFullPath(folder), CasbStore.ResolvePath(folder));
        Assert.Equal("postgresql://casb@db:5432/casb", CasbStore.ResolvePath(" postgresql://casb@db:5432/casb "));
        Assert.IsType<CasbStore>(ConfigurationStores.Open(folder));
    }
}
