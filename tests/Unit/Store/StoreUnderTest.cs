using CasbCore.Store;
using CasbCore.Store.Postgres;
using CasbModule.Tests.Postgres;

namespace CasbModule.Tests.Store;

/// <summary>
/// One store of either kind for the store tests, which run against both: a fresh folder, or a fresh database of the
/// throwaway cluster. Reads and writes the stored document behind the store's back (a hand edit, a corrupt file, a
/// row changed with psql), which is how the tests check that a refused document stays exactly as it was.
/// </summary>
public sealed class StoreUnderTest : IDisposable
{
    public const string Folder = "folder";
    public const string Postgres = "postgresql";

    private readonly PostgresCluster? _cluster;
    private readonly string? _database;
    private readonly string? _folder;

    private StoreUnderTest(IConfigurationStore store, string location, PostgresCluster? cluster = null, string? database = null, string? folder = null)
    {
        Store = store;
        Location = location;
        _cluster = cluster;
        _database = database;
        _folder = folder;
    }

    /// <summary>The kinds every store test runs against.</summary>
    public static TheoryData<string> Kinds => new() { Folder, Postgres };

    public IConfigurationStore Store { get; }

    /// <summary>What an admin would pass as -StorePath.</summary>
    public string Location { get; }

    public static StoreUnderTest Create(string kind, PostgresFixture postgres)
    {
        if (kind == Folder)
        {
            string folder = Directory.CreateTempSubdirectory("casb-store-").FullName;
            return new StoreUnderTest(new CasbStore(folder), folder, folder: folder);
        }

        string database = postgres.CreateDatabase("store");
        string uri = postgres.Cluster.Uri(database);
        return new StoreUnderTest(new PostgresStore(PostgresStoreUri.Parse(uri)), uri, postgres.Cluster, database);
    }

    /// <summary>A second, independent handle on the same store: another connection pool for a database.</summary>
    public IConfigurationStore OpenAnother() =>
        _cluster is null ? new CasbStore(_folder!) : new PostgresStore(PostgresStoreUri.Parse(Location));

    /// <summary>The document exactly as stored, or null when there is none.</summary>
    public string? ReadRaw()
    {
        if (_cluster is null)
        {
            string file = Path.Combine(_folder!, CasbStore.ConfigurationFileName);
            return File.Exists(file) ? File.ReadAllText(file) : null;
        }

        EnsureSchema();
        return _cluster.Sql(_database!, "select count(*) from casb.configuration") == "0"
            ? null
            : _cluster.Sql(_database!, "select document from casb.configuration where id = 1");
    }

    /// <summary>Replaces the stored document behind the store's back (revision column 3 in a database).</summary>
    public void WriteRaw(string content)
    {
        if (_cluster is null)
        {
            File.WriteAllText(Path.Combine(_folder!, CasbStore.ConfigurationFileName), content);
            return;
        }

        EnsureSchema();
        string quoted = "$casb$" + content + "$casb$";
        _cluster.Sql(_database!,
            $"insert into casb.configuration (id, revision, schema_version, document) values (1, 3, 1, {quoted}) " +
            $"on conflict (id) do update set document = {quoted}, revision = 3");
    }

    public void Dispose()
    {
        (Store as IDisposable)?.Dispose();
        if (_folder is not null)
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    // The store creates its tables on first use; a test that writes behind its back makes it do so first.
    private void EnsureSchema() => Store.ListBlobs("");
}
