using CasbCore;
using CasbCore.Model;
using CasbCore.Store;
using CsCheck;

namespace CasbModule.Tests.Store;

/// <summary>
/// The engine cache behind Test-CasbAccess: an unchanged store reuses its compiled engine, and any change to the
/// file's content, by a cmdlet or by hand, whatever its length, time stamp or revision, is seen by the next call.
/// </summary>
public sealed class CasbEngineCacheTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("casb-engine-cache-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void An_unchanged_store_reuses_its_engine_and_a_store_update_recompiles()
    {
        var cache = new CasbEngineCache();
        CasbStore store = SeededStore("a");

        CasbEngine first = cache.GetEngine(store, out bool firstReused);
        CasbEngine second = cache.GetEngine(store, out bool secondReused);
        store.Update(c => c.Settings.DefaultAction = DefaultAction.Block);
        CasbEngine third = cache.GetEngine(store, out bool thirdReused);

        Assert.False(firstReused);
        Assert.True(secondReused);
        Assert.Same(first, second);
        Assert.False(thirdReused);
        Assert.Equal(first.Revision + 1, third.Revision);
        Assert.Equal(DefaultAction.Block, third.Configuration.Settings.DefaultAction);
    }

    [Fact]
    public void A_hand_edit_that_keeps_the_length_the_revision_and_the_write_time_is_seen_by_the_next_call()
    {
        var cache = new CasbEngineCache();
        CasbStore store = SeededStore("b");
        CasbEngine before = cache.GetEngine(store, out _);
        FileInfo file = new(store.ConfigurationFile);
        (long length, DateTime written) = (file.Length, file.LastWriteTimeUtc);

        string json = File.ReadAllText(store.ConfigurationFile);
        Assert.Contains("\"defaultAction\": \"Allow\"", json);
        File.WriteAllText(store.ConfigurationFile, json.Replace("\"defaultAction\": \"Allow\"", "\"defaultAction\": \"Block\"", StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(store.ConfigurationFile, written);
        file.Refresh();
        Assert.Equal((length, written), (file.Length, file.LastWriteTimeUtc));

        CasbEngine after = cache.GetEngine(store, out bool reused);

        Assert.False(reused);
        Assert.Equal(before.Revision, after.Revision);
        Assert.Equal(DefaultAction.Block, after.Configuration.Settings.DefaultAction);
    }

    /// <summary>Every same-length edit of any byte, with the write time put back, is a change: recompiled or refused, never reused.</summary>
    [Fact]
    public void No_same_length_edit_of_any_byte_goes_unseen()
    {
        var cache = new CasbEngineCache();
        CasbStore store = SeededStore("c");
        byte[] original = File.ReadAllBytes(store.ConfigurationFile);
        DateTime written = File.GetLastWriteTimeUtc(store.ConfigurationFile);

        Gen.Select(Gen.Int[0, original.Length - 1], Gen.Byte[0x20, 0x7E]).Where(e => original[e.Item1] != e.Item2).Sample(edit =>
        {
            (int offset, byte value) = edit;
            File.WriteAllBytes(store.ConfigurationFile, original);
            File.SetLastWriteTimeUtc(store.ConfigurationFile, written);
            cache.GetEngine(store, out _);

            byte[] edited = (byte[])original.Clone();
            edited[offset] = value;
            File.WriteAllBytes(store.ConfigurationFile, edited);
            File.SetLastWriteTimeUtc(store.ConfigurationFile, written);
            bool reused = false;
            Exception? refused = Record.Exception(() => cache.GetEngine(store, out reused));

            Assert.False(reused, $"byte {offset} changed to '{(char)value}' was not seen");
            if (refused is not null)
            {
                Assert.IsType<CasbException>(refused);
            }
        }, iter: 200, threads: 1);
    }

    [Fact]
    public void A_corrupt_store_is_refused_without_serving_the_previous_engine_and_its_repair_is_compiled()
    {
        var cache = new CasbEngineCache();
        CasbStore store = SeededStore("d");
        byte[] good = File.ReadAllBytes(store.ConfigurationFile);
        cache.GetEngine(store, out _);

        File.WriteAllText(store.ConfigurationFile, "{ not json");
        CasbException error = Assert.Throws<CasbException>(() => cache.GetEngine(store, out _));
        File.WriteAllBytes(store.ConfigurationFile, good);
        cache.GetEngine(store, out bool reused);

        Assert.Equal("StoreCorrupt", error.ErrorId);
        Assert.True(reused);
    }

    /// <summary>
    /// A store the gateway would not load (it refuses to start on it, or keeps its last good revision) is not answered
    /// by the what-if either: every problem the validator knows, written by hand, is refused with the validator's id,
    /// and Test-CasbAccess reports it instead of deciding on a configuration nothing enforces.
    /// </summary>
    [Theory]
    [MemberData(nameof(CasbModule.Tests.Policies.ConfigurationValidatorTests.ProblemCases), MemberType = typeof(CasbModule.Tests.Policies.ConfigurationValidatorTests))]
    public void A_store_the_gateway_would_refuse_is_refused_with_the_validators_id(string @case, Action<CasbConfiguration> breakIt, string errorId, string fragment)
    {
        var cache = new CasbEngineCache();
        var store = new CasbStore(Path.Combine(_directory, Guid.NewGuid().ToString("N")));
        CasbConfiguration configuration = CasbModule.Tests.Policies.PolicyTestData.Seed();
        store.Update(c =>
        {
            c.Apps.AddRange(configuration.Apps);
            c.Groups.AddRange(configuration.Groups);
        });
        cache.GetEngine(store, out _);
        breakIt(configuration);
        Directory.CreateDirectory(store.Path);
        File.WriteAllBytes(store.ConfigurationFile, CasbStore.Serialize(configuration));

        CasbException error = Assert.Throws<CasbException>(() => cache.GetEngine(store, out _));

        Assert.True(errorId == error.ErrorId, $"{@case}: {error.ErrorId} {error.Message}");
        Assert.Contains(fragment, error.Message);
        using var host = new CasbModule.Tests.Cmdlets.PowerShellHost();
        var (output, errors) = host.Run(
            "Test-CasbAccess -StorePath $store -App 'Microsoft Online Services'", new Dictionary<string, object?> { ["store"] = store.Path });
        Assert.Empty(output);
        Assert.Equal($"{errorId},CasbModule.Cmdlets.TestCasbAccessCommand", Assert.Single(errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void A_missing_store_is_an_empty_configuration_until_it_is_created()
    {
        var cache = new CasbEngineCache();
        var store = new CasbStore(Path.Combine(_directory, "missing"));

        CasbEngine empty = cache.GetEngine(store, out _);
        cache.GetEngine(store, out bool emptyReused);
        store.Update(c => c.Apps.Add(new AppEntry { Name = "Wiki", Upstream = "https://127.0.0.1:9001", Hostnames = ["wiki.contoso.local"] }));
        CasbEngine created = cache.GetEngine(store, out bool createdReused);

        Assert.Equal(0, empty.Revision);
        Assert.Empty(empty.Configuration.Apps);
        Assert.True(emptyReused);
        Assert.False(createdReused);
        Assert.Equal("Wiki", Assert.Single(created.Configuration.Apps).Name);
    }

    [Fact]
    public void Past_its_capacity_the_cache_drops_the_least_recently_used_store()
    {
        var cache = new CasbEngineCache(capacity: 2);
        CasbStore a = SeededStore("e1");
        CasbStore b = SeededStore("e2");
        CasbStore c = SeededStore("e3");

        CasbEngine engineA = cache.GetEngine(a, out _);
        cache.GetEngine(b, out _);
        cache.GetEngine(a, out bool aReused);
        cache.GetEngine(c, out _);
        cache.GetEngine(b, out bool bReused);
        CasbEngine againA = cache.GetEngine(a, out bool aReusedLater);

        Assert.True(aReused);
        Assert.False(bReused);
        Assert.False(aReusedLater);
        Assert.NotSame(engineA, againA);
    }

    private CasbStore SeededStore(string name)
    {
        var store = new CasbStore(Path.Combine(_directory, name));
        store.Update(c =>
        {
            c.Apps.Add(new AppEntry { Name = "Wiki", Upstream = "https://127.0.0.1:9001", Hostnames = ["wiki.contoso.local"] });
            c.Groups.Add(new GroupEntry { Name = "Vendors", Members = ["vendor@fabrikam.com"] });
            c.AccessPolicies.Add(new AccessPolicyEntry { Name = "Office", IPRanges = ["10.0.0.0/8"], DeviceTags = ["Valid client certificate"] });
        });
        return store;
    }
}
