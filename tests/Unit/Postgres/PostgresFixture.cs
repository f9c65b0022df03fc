namespace CasbModule.Tests.Postgres;

/// <summary>
/// One throwaway PostgreSQL cluster for the tests of <see cref="PostgresCollection"/>; each test class or test takes a
/// database of its own with <see cref="CreateDatabase"/>. Sets PGPASSWORD in this process, as an admin's shell would,
/// so that a store opened from a <c>postgresql://</c> URI here signs in the way libpq does.
/// </summary>
public sealed class PostgresFixture : IDisposable
{
    private readonly Lazy<PostgresCluster> _cluster = new(() =>
    {
        Environment.SetEnvironmentVariable("PGPASSWORD", PostgresCluster.Password);
        return PostgresCluster.Start();
    });

    /// <summary>The cluster, started on first use; throws (failing the test) with what is missing when PostgreSQL is not installed.</summary>
    public PostgresCluster Cluster => _cluster.Value;

    public string CreateDatabase(string prefix = "casb") => Cluster.CreateDatabase(prefix);

    /// <summary>A new database's store URI (<c>postgresql://postgres@127.0.0.1:port/name</c>).</summary>
    public string CreateStoreUri(string prefix = "casb") => Cluster.Uri(Cluster.CreateDatabase(prefix));

    public void Dispose()
    {
        if (_cluster.IsValueCreated)
        {
            _cluster.Value.Dispose();
        }
    }
}

/// <summary>The tests that need a real PostgreSQL server share one throwaway cluster.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}
