using CsCheck;
using System.Reflection;
using CasbCore.Model;
using CasbCore.Store;
using CasbGateway.Configuration;
using CasbGateway.Hosting;
using CasbGateway.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The configuration provider's poll: an unchanged store is checked by its hash alone, and the document is read only
/// when the hash says it changed (once per change, a refused one included), so a gateway under load does not read and
/// allocate the whole document every few seconds.
/// </summary>
public sealed class ConfigurationPollTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("casb-poll-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Fact]
    public void An_unchanged_store_is_polled_by_its_hash_and_each_change_is_read_once()
    {
        using ConfigurationMonitor monitor = ServingFirstRevision(out CasbStore admin, out CountingStore counts);
        Assert.Equal(1, counts.Calls(nameof(IConfigurationStore.ReadDocument)));

        for (int i = 0; i < 5; i++)
        {
            monitor.Reload();
        }

        Assert.Equal(1, counts.Calls(nameof(IConfigurationStore.ReadDocument)));
        Assert.Equal(5, counts.Calls(nameof(IConfigurationStore.DocumentHash)));

        admin.Update(c => c.Groups.Add(new GroupEntry { Name = "second" }));
        monitor.Reload();
        monitor.Reload();

        Assert.Equal(2, monitor.Current!.Revision);
        Assert.Equal(["first", "second"], monitor.Current.Engine.Configuration.Groups.Select(g => g.Name));
        Assert.Equal(2, counts.Calls(nameof(IConfigurationStore.ReadDocument)));
        Assert.Null(monitor.Degraded);
    }

    [Fact]
    public void A_refused_document_is_read_once_and_the_last_good_revision_keeps_serving_until_it_is_mended()
    {
        using ConfigurationMonitor monitor = ServingFirstRevision(out CasbStore admin, out CountingStore counts);
        string good = File.ReadAllText(admin.ConfigurationFile);

        File.WriteAllText(admin.ConfigurationFile, "{ \"schemaVersion\": 1, \"revision\": 2, \"groups\": [ broken");
        monitor.Reload();
        monitor.Reload();
        monitor.Reload();

        Assert.Equal(2, counts.Calls(nameof(IConfigurationStore.ReadDocument)));
        Assert.Equal(1, monitor.Current!.Revision);
        Assert.StartsWith("the store file was refused", monitor.Degraded);

        // Put back as it was: the hash is the served revision's again, so nothing is read and the gateway recovers.
        File.WriteAllText(admin.ConfigurationFile, good);
        monitor.Reload();

        Assert.Equal(2, counts.Calls(nameof(IConfigurationStore.ReadDocument)));
        Assert.Null(monitor.Degraded);
    }

    [Fact]
    public void Whatever_the_store_file_went_through_degraded_says_whether_the_revision_served_is_the_one_in_the_file()
    {
        // A document refused once and written again (a bad restore retried after putting the good one back) was never
        // read again, so it left the gateway serving the old revision while saying it was not degraded.
        var admin = new CasbStore(_folder);
        admin.Update(c => c.Groups.Add(new GroupEntry { Name = "first" }));
        string good1 = File.ReadAllText(admin.ConfigurationFile);
        admin.Update(c => c.Groups.Add(new GroupEntry { Name = "second" }));
        string good2 = File.ReadAllText(admin.ConfigurationFile);
        string?[] documents =
        [
            good1, good2, null,
            "{ \"schemaVersion\": 1, \"revision\": 3, \"groups\": [ broken",
            "{ \"schemaVersion\": 1, \"revision\": 4, \"apps\": [ broken",
        ];

        Gen.Int[0, documents.Length - 1].Array[1, 10].Sample(steps =>
        {
            File.WriteAllText(admin.ConfigurationFile, good1);
            using ConfigurationMonitor monitor = CreateMonitor(new CasbStore(_folder));
            monitor.LoadInitial();
            foreach (int step in steps)
            {
                if (documents[step] is { } document)
                {
                    File.WriteAllText(admin.ConfigurationFile, document);
                }
                else
                {
                    File.Delete(admin.ConfigurationFile);
                }

                monitor.Reload();
                string? expected = documents[step] switch
                {
                    null => "missing",
                    string written when written == good1 || written == good2 => null,
                    _ => "refused",
                };
                if (expected is null)
                {
                    Assert.Null(monitor.Degraded);
                    Assert.Equal(step == 0 ? 1 : 2, monitor.Current!.Revision);
                }
                else
                {
                    Assert.Contains(expected, monitor.Degraded);
                }
            }
        }, iter: 200, threads: 1);
    }

    [Fact]
    public void A_store_file_that_disappears_is_reported_and_the_last_good_revision_keeps_serving()
    {
        var admin = new CasbStore(_folder);
        admin.Update(c => c.Groups.Add(new GroupEntry { Name = "first" }));
        using ConfigurationMonitor monitor = CreateMonitor(new CasbStore(_folder));
        monitor.LoadInitial();

        File.Delete(admin.ConfigurationFile);
        monitor.Reload();

        Assert.Equal(1, monitor.Current!.Revision);
        Assert.Equal($"the store file '{admin.ConfigurationFile}' is missing", monitor.Degraded);
    }

    [Fact]
    public void Checks_that_come_while_a_look_at_the_store_is_held_up_return_at_once_and_one_more_look_answers_them()
    {
        // A store that takes long to answer (a database in a failover) or a slow Changed handler: the poll ticks and change
        // hints that came meanwhile used to queue on the reload lock, one blocked pool thread each (in CI that starved a
        // sign-in's metadata fetch into its timeout), and then all read the store in turn. Threads of the test's own stand in
        // for the timers' pool threads here, so what is counted does not depend on how fast the pool grows.
        var admin = new CasbStore(_folder);
        admin.Update(c => c.Groups.Add(new GroupEntry { Name = "first" }));
        IConfigurationStore store = CountingStore.Wrap(new CasbStore(_folder), out CountingStore counts);
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int hold = 1;
        counts.After = method =>
        {
            // The first look answers with the hash of revision 1, and then stays away until released.
            if (method == nameof(IConfigurationStore.DocumentHash) && Interlocked.Exchange(ref hold, 0) == 1)
            {
                held.Set();
                release.Wait();
            }
        };
        using ConfigurationMonitor monitor = CreateMonitor(store);
        monitor.LoadInitial();
        var first = new Thread(monitor.Check);
        first.Start();
        Thread[] meanwhile = [];
        try
        {
            Assert.True(held.Wait(TimeSpan.FromSeconds(30)));
            admin.Update(c => c.Groups.Add(new GroupEntry { Name = "second" }));
            meanwhile = Enumerable.Range(0, 20).Select(_ => new Thread(monitor.Check)).ToArray();
            foreach (Thread thread in meanwhile)
            {
                thread.Start();
            }

            Assert.All(meanwhile, thread => Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "a check waited for the one held up"));
            Assert.Equal(1, counts.Calls(nameof(IConfigurationStore.DocumentHash)));
        }
        finally
        {
            release.Set();
        }

        Assert.True(first.Join(TimeSpan.FromSeconds(30)));
        Assert.All(meanwhile, thread => thread.Join());

        // Nothing is lost: the one more look sees the change written while the first was held up.
        Assert.Equal(2, monitor.Current!.Revision);
        Assert.Equal(2, counts.Calls(nameof(IConfigurationStore.DocumentHash)));
    }

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    // The store at revision 1 (one group, "first"), served by a monitor whose store calls are counted.
    private ConfigurationMonitor ServingFirstRevision(out CasbStore admin, out CountingStore counts)
    {
        admin = new CasbStore(_folder);
        admin.Update(c => c.Groups.Add(new GroupEntry { Name = "first" }));
        ConfigurationMonitor monitor = CreateMonitor(CountingStore.Wrap(new CasbStore(_folder), out counts));
        monitor.LoadInitial();
        return monitor;
    }

    private ConfigurationMonitor CreateMonitor(IConfigurationStore store) =>
        new(new GatewayOptions { StorePath = _folder, ConfigurationPollInterval = TimeSpan.FromHours(1) }, store,
            new GatewayMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<ConfigurationMonitor>.Instance);

    /// <summary>An <see cref="IConfigurationStore"/> that passes every call to a real store and counts them by name.</summary>
    public class CountingStore : DispatchProxy
    {
        private readonly Dictionary<string, int> _calls = [];
        private IConfigurationStore _inner = null!;

        /// <summary>Called with the method's name after each call has returned from the real store.</summary>
        public Action<string>? After { get; set; }

        public static IConfigurationStore Wrap(IConfigurationStore inner, out CountingStore counts)
        {
            IConfigurationStore proxy = Create<IConfigurationStore, CountingStore>();
            counts = (CountingStore)(object)proxy;
            counts._inner = inner;
            return proxy;
        }

        public int Calls(string method)
        {
            lock (_calls)
            {
                return _calls.GetValueOrDefault(method);
            }
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            lock (_calls)
            {
                _calls[targetMethod!.Name] = _calls.GetValueOrDefault(targetMethod.Name) + 1;
            }

            object? result;
            try
            {
                result = targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException ex)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException!);
                throw;
            }

            After?.Invoke(targetMethod.Name);
            return result;
        }
    }
}
