namespace CasbModule.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterTests(PostgresFixture postgres)
{
    [Fact]
    public void The_throwaway_cluster_serves_a_new_database_on_loopback_with_the_password()
    {
        string database = postgres.CreateDatabase(nameof(PostgresClusterTests));

        Assert.Equal($"{database}|postgres", postgres.Cluster.Sql(database, "select current_database() || '|' || current_user"));
        Assert.StartsWith($"postgresql://postgres@127.0.0.1:{postgres.Cluster.Port}/", postgres.Cluster.Uri(database));
        Assert.Contains("scram-sha-256", File.ReadAllText(Path.Combine(postgres.Cluster.DataDirectory, "pg_hba.conf")));
    }
}
