using CasbCore;
using CasbCore.Model;
using CasbCore.Store;

namespace CasbModule.Tests.Store;

public sealed class CasbStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-store-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_missing_store_loads_as_an_empty_configuration_at_revision_zero()
    {
        CasbConfiguration configuration = new CasbStore(Path.Combine(_directory, "none")).Load();

        Assert.Equal(0, configuration.Revision);
        Assert.Equal(CasbConfiguration.CurrentSchemaVersion, configuration.SchemaVersion);
        Assert.Empty(configuration.TrustedRoots);
    }

    [Fact]
    public void An_update_that_changes_something_increments_the_revision_and_one_that_does_not_leaves_it()
    {
        var store = new CasbStore(_directory);

        store.Update(c => c.Settings.DefaultAction = DefaultAction.Block);
        store.Update(c => c.Settings.DefaultAction = DefaultAction.Block);

        CasbConfiguration configuration = store.Load();
        Assert.Equal(1, configuration.Revision);
        Assert.Equal(DefaultAction.Block, configuration.Settings.DefaultAction);
        Assert.Contains("\"defaultAction\": \"Block\"", File.ReadAllText(store.ConfigurationFile));
    }

    [Fact]
    public void A_failing_update_writes_nothing()
    {
        var store = new CasbStore(_directory);
        store.Update(c => c.Settings.ActivityRetentionDays = 7);
        byte[] before = File.ReadAllBytes(store.ConfigurationFile);

        Assert.Throws<InvalidOperationException>(() => store.Update(c =>
        {
            c.Settings.ActivityRetentionDays = 99;
            throw new InvalidOperationException("refused");
        }));

        Assert.Equal(before, File.ReadAllBytes(store.ConfigurationFile));
    }

    [Theory]
    [InlineData("{ not json", "StoreCorrupt")]
    [InlineData("[]", "StoreCorrupt")]
    [InlineData("{\"revision\": 3}", "StoreCorrupt")]
    [InlineData("{\"schemaVersion\": 99, \"revision\": 3}", "StoreSchemaUnsupported")]
    [InlineData("{\"schemaVersion\": 1, \"settings\": {\"defaultAction\": \"Maybe\"}}", "StoreCorrupt")]
    public void A_corrupt_or_unknown_store_file_is_a_clear_error_and_is_never_overwritten(string content, string errorId)
    {
        var store = new CasbStore(_directory);
        File.WriteAllText(store.ConfigurationFile, content);

        CasbException load = Assert.Throws<CasbException>(() => store.Load());
        CasbException update = Assert.Throws<CasbException>(() => store.Update(c => c.Settings.ActivityRetentionDays = 1));

        Assert.Equal(errorId, load.ErrorId);
        Assert.Equal(errorId, update.ErrorId);
        Assert.Contains(store.ConfigurationFile, load.Message);
        Assert.Equal(content, File.ReadAllText(store.ConfigurationFile));
    }

    [Fact]
    public void Concurrent_writers_in_one_process_lose_no_update()
    {
        var store = new CasbStore(_directory);

        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            store.Update(c => c.Groups.Add(new GroupEntry { Name = $"group-{i}" })));

        CasbConfiguration configuration = store.Load();
        Assert.Equal(40, configuration.Groups.Select(g => g.Name).Distinct().Count());
        Assert.Equal(40, configuration.Revision);
    }

    [Fact]
    public void The_store_path_comes_from_the_parameter_then_the_environment()
    {
        Assert.Equal(Path.GetFullPath(_directory), CasbStore.ResolvePath(_directory));
    }
}
