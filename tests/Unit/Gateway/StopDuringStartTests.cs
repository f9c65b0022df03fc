using System.Diagnostics;
using CasbCore.Gateways;
using CasbModule.Tests.Cmdlets;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A runbook starts a gateway in one runspace (or process) and stops it from another while the first still waits for
/// /healthz. The starting gateway has no record yet: Stop-CasbGateway said no gateway of that name was recorded (or, with
/// a wildcard, said nothing), and the gateway came up behind it. The stop now waits for the start and stops what it started.
/// </summary>
public sealed class StopDuringStartTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("casb-stopstart-").FullName;
    private readonly List<GatewayRecord> _started = [];

    public void Dispose()
    {
        foreach (GatewayRecord record in _started)
        {
            GatewayProcesses.Stop(record, TimeSpan.FromSeconds(5));
        }

        Directory.Delete(_store, recursive: true);
    }

    [Theory]
    [InlineData("lab")]
    [InlineData("LAB")]
    [InlineData("la*")]
    [InlineData("*")]
    public async Task A_stop_during_a_start_stops_the_starting_gateway(string stopName)
    {
        using var host = new PowerShellHost(); // made first: a runspace's first open can outlast a gateway's start
        string log = GatewayProcesses.LogPath(_store, "lab");
        Task<GatewayRecord> start = Task.Run(() => GatewayProcesses.Start(new GatewayStartOptions
        {
            StorePath = _store, GatewayDirectory = AppContext.BaseDirectory, Name = "lab", Port = RequestPathTests.FreePort(),
            StartupTimeout = TimeSpan.FromSeconds(60),
        }));
        Assert.True(await Poll.Eventually(() => Task.FromResult(File.Exists(log) || start.IsCompleted)));
        Assert.False(start.IsCompleted, "the gateway answered before the stop: not a stop during a start");

        var (_, errors) = host.Run("Stop-CasbGateway -Name $name -StorePath $store -Timeout 60", new Dictionary<string, object?> { ["name"] = stopName, ["store"] = _store });

        GatewayRecord started = await start;
        _started.Add(started);
        Assert.Empty(errors.Select(e => e.FullyQualifiedErrorId));
        using Process? left = GatewayProcesses.FindProcess(started);
        Assert.Null(left);
        Assert.Empty(GatewayProcesses.ReadRecords(_store));
    }

    [Fact]
    public async Task A_starting_gateway_is_recorded_while_it_comes_up_so_a_killed_start_leaves_no_unlisted_gateway()
    {
        // The gateway has its own session: a PowerShell killed (kill -9, a CI job cancelled) while it waited for /healthz
        // left a gateway serving with no record, which Get-CasbGateway did not list and Stop-CasbGateway could not stop.
        string log = GatewayProcesses.LogPath(_store, "lab");
        Task<GatewayRecord> start = Task.Run(() => GatewayProcesses.Start(new GatewayStartOptions
        {
            StorePath = _store, GatewayDirectory = AppContext.BaseDirectory, Name = "lab", Port = RequestPathTests.FreePort(),
            StartupTimeout = TimeSpan.FromSeconds(60),
        }));
        Assert.True(await Poll.Eventually(() => Task.FromResult(File.Exists(log) || start.IsCompleted)));
        IReadOnlyList<GatewayRecord> whileStarting = GatewayProcesses.ReadRecords(_store);
        bool stillStarting = !start.IsCompleted;

        GatewayRecord started = await start;
        _started.Add(started);
        Assert.True(stillStarting, "the gateway answered before the look: not a look during a start");
        GatewayRecord recorded = Assert.Single(whileStarting);
        Assert.Equal(started.ProcessId, recorded.ProcessId);
        Assert.Equal(started.ProcessStartTime, recorded.ProcessStartTime);
        Assert.Equal(started.ProcessId, Assert.Single(GatewayProcesses.ReadRecords(_store)).ProcessId);
    }

    [Fact]
    public void A_start_that_fails_leaves_neither_a_process_nor_a_record()
    {
        // An address the gateway cannot listen on: its process starts, is recorded, and exits.
        CasbCore.CasbException error = Assert.Throws<CasbCore.CasbException>(() => GatewayProcesses.Start(new GatewayStartOptions
        {
            StorePath = _store, GatewayDirectory = AppContext.BaseDirectory, Name = "lab", ListenAddress = "192.0.2.1", Port = RequestPathTests.FreePort(),
            StartupTimeout = TimeSpan.FromSeconds(60),
        }));

        Assert.Equal("GatewayStartFailed", error.ErrorId);
        Assert.Empty(GatewayProcesses.ReadRecords(_store));
    }

    [Fact]
    public async Task A_start_whose_record_cannot_be_written_leaves_no_gateway_running()
    {
        // A folder where the record goes (or a full disk): the record write throws after the gateway's process started.
        // The process was left serving with no record, which no cmdlet lists or stops.
        Directory.CreateDirectory(GatewayProcesses.RecordPath(_store, "lab"));
        Assert.ThrowsAny<Exception>(() => GatewayProcesses.Start(new GatewayStartOptions
        {
            StorePath = _store, GatewayDirectory = AppContext.BaseDirectory, Name = "lab", Port = RequestPathTests.FreePort(),
            StartupTimeout = TimeSpan.FromSeconds(60),
        }));

        Assert.True(await Poll.Eventually(() => Task.FromResult(!ProcessesOf(_store).Any())), "a gateway of the store is still running");
    }

    // The processes whose command line names the store (the gateway is started with --store <path>).
    private static IEnumerable<int> ProcessesOf(string store) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out int pid) ? pid : 0)
            .Where(pid => pid > 0 && pid != Environment.ProcessId)
            .Where(pid =>
            {
                try
                {
                    return File.ReadAllText($"/proc/{pid}/cmdline").Contains(store, StringComparison.Ordinal);
                }
                catch (IOException)
                {
                    return false;
                }
                catch (UnauthorizedAccessException)
                {
                    return false;
                }
            });

    [Fact]
    public async Task A_stop_that_cannot_wait_for_the_start_fails_with_its_own_error_id()
    {
        // The start lock held as a start of lab holds it while its gateway comes up.
        Directory.CreateDirectory(GatewayProcesses.GatewaysDirectory(_store));
        using var held = new FileStream(Path.Combine(GatewayProcesses.GatewaysDirectory(_store), ".LAB.start.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        using var host = new PowerShellHost();

        var (_, errors) = await Task.Run(() => host.Run(
            "Stop-CasbGateway -Name lab -StorePath $store -Timeout 1",
            new Dictionary<string, object?> { ["store"] = _store }));

        Assert.StartsWith("GatewayStartInProgress", Assert.Single(errors).FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.ResourceBusy, errors[0].CategoryInfo.Category);
    }

    /// <summary>
    /// A stop of several gateways (a wildcard, a list) while one of them is still starting past -Timeout: the one start that
    /// cannot be waited for is its name's GatewayStartInProgress error, and every other gateway selected is stopped. Before,
    /// that one error stopped the cmdlet and no gateway at all was stopped: "Stop-CasbGateway *" in an incident left every
    /// running gateway serving because another was coming up.
    /// </summary>
    [Theory]
    [InlineData("*")]
    [InlineData("prod,lab")]
    [InlineData("lab,p*")]
    public void A_stop_of_several_stops_the_others_when_one_start_cannot_be_waited_for(string stopNames)
    {
        GatewayRecord prod = GatewayProcesses.Start(new GatewayStartOptions
        {
            StorePath = _store, GatewayDirectory = AppContext.BaseDirectory, Name = "prod", Port = RequestPathTests.FreePort(),
            StartupTimeout = TimeSpan.FromSeconds(60),
        });
        _started.Add(prod);
        // The start lock held as a start of lab holds it while its gateway comes up.
        using var held = new FileStream(Path.Combine(GatewayProcesses.GatewaysDirectory(_store), ".LAB.start.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        using var host = new PowerShellHost();

        var (_, errors) = host.Run(
            "Stop-CasbGateway -Name $names -StorePath $store -Timeout 1",
            new Dictionary<string, object?> { ["names"] = stopNames.Split(','), ["store"] = _store });

        using Process? left = GatewayProcesses.FindProcess(prod);
        Assert.True(left is null, "prod still runs: " + string.Join("; ", errors.Select(e => e.FullyQualifiedErrorId)));
        Assert.Empty(GatewayProcesses.ReadRecords(_store));
        Assert.Equal(["GatewayStartInProgress,CasbModule.Cmdlets.StopCasbGatewayCommand"], errors.Select(e => e.FullyQualifiedErrorId));
        Assert.Equal(System.Management.Automation.ErrorCategory.ResourceBusy, errors[0].CategoryInfo.Category);
    }
}
