using System.Diagnostics;
using CasbCore.Gateways;

namespace CasbModule.Tests.Gateway;

/// <summary>The gateway program itself, run as `dotnet CasbGateway.dll` the way systemd or a container would.</summary>
public sealed class GatewayProcessTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("casb-gwproc-").FullName;

    public void Dispose() => Directory.Delete(_store, recursive: true);

    [Fact]
    public async Task A_broken_store_at_start_exits_non_zero_with_the_reason_on_stderr()
    {
        await File.WriteAllTextAsync(Path.Combine(_store, "casb.json"), "{ broken");

        (int exitCode, string stderr) = await RunAsync("--store", _store, "--urls", $"https://127.0.0.1:{RequestPathTests.FreePort()}");

        Assert.Equal(1, exitCode);
        Assert.Contains("CasbGateway: Cannot load the store", stderr);
        Assert.Contains("casb.json", stderr);
        Assert.Contains("corrupt", stderr);
    }

    [Fact]
    public async Task A_missing_store_option_exits_with_usage()
    {
        (int exitCode, string stderr) = await RunAsync("--urls", "https://127.0.0.1:8443");

        Assert.Equal(2, exitCode);
        Assert.Contains("--store <path> is required", stderr);
        Assert.Contains("Usage:", stderr);
    }

    private static async Task<(int ExitCode, string Stderr)> RunAsync(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, GatewayProcesses.GatewayAssemblyName);
        var startInfo = new ProcessStartInfo(GatewayProcesses.FindDotnet()) { RedirectStandardError = true, RedirectStandardOutput = true };
        startInfo.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(startInfo)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await stdout;
        return (process.ExitCode, await stderr);
    }
}
