using CasbCore;
using CasbCore.Gateways;

namespace CasbModule.Tests.Gateway;

/// <summary>The start lock of a name: only another start holding it is a wait; a lock file that cannot be opened is said as such.</summary>
public sealed class GatewayStartLockTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("casb-startlock-").FullName;

    public void Dispose() => Directory.Delete(_store, recursive: true);

    [Fact]
    public void A_start_lock_that_cannot_be_opened_is_a_write_error_not_another_start_that_did_not_finish()
    {
        // Not a file (as a lock in a folder the admin cannot write is, for an admin who is not root): opening it is refused.
        Directory.CreateDirectory(Path.Combine(GatewayProcesses.GatewaysDirectory(_store), ".LAB.start.lock"));

        CasbException error = Assert.Throws<CasbException>(() => GatewayProcesses.Start(new GatewayStartOptions
        {
            StorePath = _store, GatewayDirectory = _store, Name = "Lab", StartupTimeout = TimeSpan.FromSeconds(1),
        }));

        Assert.Equal("GatewayStartFailed", error.ErrorId);
        Assert.Equal(CasbErrorKind.WriteError, error.Kind);
        Assert.DoesNotContain("Another start", error.Message);
        Assert.Contains(".LAB.start.lock", error.Message);
    }

    [Fact]
    public void A_start_lock_left_by_a_killed_process_is_reused_not_a_wait()
    {
        // The lock file stays after a start, one per name: it is the lock's flock, not the file, that another start waits on.
        string lockFile = Path.Combine(GatewayProcesses.GatewaysDirectory(_store), ".LAB.start.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(lockFile)!);
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock", ["-x", lockFile, "sleep", "300"]) { UseShellExecute = false })!;
        Assert.True(SpinWait.SpinUntil(() => File.Exists(lockFile), TimeSpan.FromSeconds(10)));
        Thread.Sleep(500);

        var stillStarting = new List<CasbException>();
        GatewayProcesses.HoldStarts(_store, ["lab"], TimeSpan.FromMilliseconds(300), stillStarting.Add).Dispose();
        Assert.Equal(["GatewayStartInProgress"], stillStarting.Select(e => e.ErrorId));

        holder.Kill(entireProcessTree: true); // SIGKILL: the holder never unlocks
        holder.WaitForExit();
        stillStarting.Clear();
        using (GatewayProcesses.HoldStarts(_store, ["Lab"], TimeSpan.FromSeconds(1), stillStarting.Add))
        {
        }

        Assert.Empty(stillStarting);

        Assert.Equal(["LAB"], GatewayProcesses.StartLockNames(_store));
    }
}
