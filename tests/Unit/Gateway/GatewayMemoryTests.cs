using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CasbCore.Certificates;
using CasbCore.Gateways;
using CasbCore.Store;
using CasbGateway.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// What keeps the gateway's memory down (docs/benchmarks.md, "Fourth pass: memory"): the memory settings a started
/// gateway actually runs with (the csproj's GC mode, the arena cap set at start), the client certificate of a closed
/// connection given back, and the collection and trim after connections fall.
/// </summary>
public sealed class GatewayMemoryTests : IClassFixture<LabPkiFixture>
{
    private const string Browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    private readonly LabPki _pki;

    public GatewayMemoryTests(LabPkiFixture fixture)
    {
        _pki = fixture.Pki;
    }

    [Fact]
    public async Task A_started_gateway_runs_with_workstation_GC_a_gen0_budget_of_at_most_16_MB_and_two_malloc_arenas_and_logs_them()
    {
        // The gateway program as deployed (its own process, its runtimeconfig.json, no DOTNET_ variables of ours):
        // what it logs at start is what the runtime applied, read back from the GC itself.
        string store = Directory.CreateTempSubdirectory("casb-gw-memset-").FullName;
        try
        {
            new CasbStore(store).Update(_ => { });
            var start = new ProcessStartInfo(GatewayProcesses.FindDotnet()) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, GatewayProcesses.GatewayAssemblyName), "--store", store, "--urls", $"https://127.0.0.1:{RequestPathTests.FreePort()}", "--name", "memset" })
            {
                start.ArgumentList.Add(arg);
            }

            foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase) || k.Equals("DOTNET_gcServer", StringComparison.OrdinalIgnoreCase) || k == "MALLOC_ARENA_MAX").ToList())
            {
                start.Environment.Remove(name);
            }

            using Process gateway = Process.Start(start)!;
            _ = gateway.StandardError.ReadToEndAsync();
            try
            {
                string? message = null;
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                while (message is null && await gateway.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                {
                    using JsonDocument entry = JsonDocument.Parse(line);
                    if (entry.RootElement.GetProperty("Message").GetString() is { } text && text.StartsWith("Memory: ", StringComparison.Ordinal))
                    {
                        message = text;
                    }
                }

                Assert.NotNull(message);
                Assert.Contains("workstation GC", message);
                Assert.Contains(OperatingSystem.IsLinux() ? "malloc arenas at most 2" : "malloc arenas default", message);
                // The GC's own figure, read back from it, not a guess: sized from the CPU's cache (16 MB on a 32 MB L3, 80 MB
                // on a VM reporting a 300 MB L3) and capped at 16 MB by the gateway's runtimeconfig, whatever the machine.
                System.Text.RegularExpressions.Match budget = System.Text.RegularExpressions.Regex.Match(message, @"gen0 budget at most ([\d.]+) MB");
                Assert.True(budget.Success, message);
                double budgetMB = double.Parse(budget.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(budgetMB, 0.1, 16); // the GC never sizes it under 256 KB, logged rounded to 0.1 MB
            }
            finally
            {
                gateway.Kill(entireProcessTree: true);
                await gateway.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task A_gateway_on_a_folder_store_without_sign_in_or_a_database_maps_no_assembly_only_those_need()
    {
        // What a file-store gateway without sign-in has no use for, each a few MB of mapped file and compiled code at
        // every gateway's RSS (docs/benchmarks.md, "Fifth pass: memory"): read from the process's own memory map (the
        // gateway as deployed, its own process: this test process has them all loaded), after requests through the
        // engine, the health and metrics endpoints, and the activity retention that runs at start.
        Assert.True(OperatingSystem.IsLinux(), "reads the gateway's memory map from /proc");
        string[] unused =
        [
            "Npgsql.dll", "System.Data.Common.dll", "System.Transactions.Local.dll", // the PostgreSQL activity and store
            "System.Private.Xml.dll", "System.Private.Xml.Linq.dll", // the sign-in key ring
            "System.Linq.Expressions.dll", // handlers compiled from expression trees
        ];
        string store = Directory.CreateTempSubdirectory("casb-gw-maps-").FullName;
        try
        {
            new CasbStore(store).Update(_ => { });
            int port = RequestPathTests.FreePort();
            var start = new ProcessStartInfo(GatewayProcesses.FindDotnet()) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, GatewayProcesses.GatewayAssemblyName), "--store", store, "--urls", $"http://127.0.0.1:{port}", "--name", "maps" })
            {
                start.ArgumentList.Add(arg);
            }

            using Process gateway = Process.Start(start)!;
            Task<string> output = gateway.StandardOutput.ReadToEndAsync();
            _ = gateway.StandardError.ReadToEndAsync();
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                HttpResponseMessage? health = null;
                for (int i = 0; i < 300 && health is null; i++)
                {
                    try
                    {
                        health = await client.GetAsync("/healthz");
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(100);
                    }
                }

                Assert.Equal(HttpStatusCode.OK, health?.StatusCode);
                Assert.StartsWith("Ready", await client.GetStringAsync("/readyz"));
                Assert.Contains("casb_gateway", await client.GetStringAsync("/metrics"));
                // Through the engine: no app has this host, the gateway's own 404 page.
                Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/some/page")).StatusCode);
                await Task.Delay(500);

                string[] mapped = File.ReadAllLines($"/proc/{gateway.Id}/maps")
                    .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    .Where(fields => fields.Length >= 6 && fields[5].EndsWith(".dll", StringComparison.Ordinal))
                    .Select(fields => Path.GetFileName(fields[5]))
                    .Distinct()
                    .ToArray();
                // The map is read right: the gateway's own assemblies and its sign-in's data protection are in it.
                Assert.Contains("CasbGateway.dll", mapped);
                Assert.Contains("Yarp.ReverseProxy.dll", mapped);
                Assert.Contains("Microsoft.AspNetCore.DataProtection.dll", mapped);
                Assert.Empty(mapped.Intersect(unused));
                Assert.Empty(Directory.GetFiles(new CasbStore(store).KeysDirectory, "*.xml"));
            }
            finally
            {
                gateway.Kill(entireProcessTree: true);
                await gateway.WaitForExitAsync();
            }

            Assert.DoesNotContain("\"LogLevel\":\"Error\"", await output);
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task The_client_certificate_of_a_connection_is_disposed_when_the_connection_closes()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);

        X509Certificate2 presented;
        using (HttpClient client = harness.CreateClient(_pki.Client))
        {
            for (int i = 0; i < 2; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/");
                request.Headers.TryAddWithoutValidation("User-Agent", Browser);
                using HttpResponseMessage response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            lock (harness.Decider.Requests)
            {
                // One connection, one certificate object for both of its requests, alive while it is open.
                presented = Assert.IsType<X509Certificate2>(harness.Decider.Requests[^1].ClientCertificate);
                Assert.Same(presented, harness.Decider.Requests[^2].ClientCertificate);
            }

            Assert.Equal(_pki.Client.Thumbprint, presented.Thumbprint);
            Assert.NotEqual(IntPtr.Zero, presented.Handle);
        }

        // The client's handler is disposed: the connection closes, and with it the certificate's native handle.
        for (int i = 0; i < 200 && presented.Handle != IntPtr.Zero; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(IntPtr.Zero, presented.Handle);
    }

    [Fact]
    public void A_fall_of_the_open_connections_collects_the_managed_heap_once_and_steady_load_never()
    {
        using var trimmer = new NativeMemoryTrimmer(NullLogger<NativeMemoryTrimmer>.Instance);
        for (int i = 0; i < 200; i++)
        {
            trimmer.ConnectionOpened();
        }

        // Steady: nothing closed, nothing to give back.
        int collections = GC.CollectionCount(2);
        trimmer.TrimIfDropped();
        Assert.Equal(0, trimmer.Trims);

        for (int i = 0; i < 150; i++)
        {
            trimmer.ConnectionClosed();
        }

        trimmer.TrimIfDropped();
        Assert.Equal(OperatingSystem.IsLinux() ? 1 : 0, trimmer.Trims);
        Assert.True(GC.CollectionCount(2) > collections, "the fall did not collect the managed heap");

        // The same fall is not trimmed twice: the peak is now the 50 still open.
        trimmer.TrimIfDropped();
        Assert.Equal(OperatingSystem.IsLinux() ? 1 : 0, trimmer.Trims);
    }

    [Fact]
    public void A_fall_of_load_collects_the_managed_heap_once_and_steady_load_a_trickle_and_idle_never()
    {
        // The GC's count of allocated bytes as the timer would read it every interval, made up here so that the rates
        // are exact: idle (0.5 MB an interval), a trickle just under the quiet line, steady load, then the fall.
        using var trimmer = new NativeMemoryTrimmer(NullLogger<NativeMemoryTrimmer>.Instance);
        long allocated = 1L << 30;
        const long Idle = 512 << 10;
        Assert.False(trimmer.TrimIfLoadFell(allocated));
        for (int i = 0; i < 5; i++)
        {
            Assert.False(trimmer.TrimIfLoadFell(allocated += Idle));
            Assert.False(trimmer.TrimIfLoadFell(allocated += NativeMemoryTrimmer.QuietBytes - 1));
            Assert.False(trimmer.TrimIfLoadFell(allocated += NativeMemoryTrimmer.BusyBytes - 1));
        }

        for (int i = 0; i < 5; i++)
        {
            Assert.False(trimmer.TrimIfLoadFell(allocated += NativeMemoryTrimmer.BusyBytes * 2));
        }

        Assert.Equal(0, trimmer.Trims);

        // Load fell to a rate the gateway serves with a few requests an interval: one collection and trim.
        int collections = GC.CollectionCount(2);
        Assert.True(trimmer.TrimIfLoadFell(allocated += Idle));
        Assert.Equal(OperatingSystem.IsLinux() ? 1 : 0, trimmer.Trims);
        Assert.True(GC.CollectionCount(2) > collections, "the fall of load did not collect the managed heap");

        // Still idle: the same fall is not trimmed again.
        for (int i = 0; i < 5; i++)
        {
            Assert.False(trimmer.TrimIfLoadFell(allocated += Idle));
        }

        // Load again, easing to a rate still above the quiet line: nothing; then quiet: the second fall trims.
        Assert.False(trimmer.TrimIfLoadFell(allocated += NativeMemoryTrimmer.BusyBytes));
        Assert.False(trimmer.TrimIfLoadFell(allocated += NativeMemoryTrimmer.QuietBytes));
        Assert.True(trimmer.TrimIfLoadFell(allocated += NativeMemoryTrimmer.QuietBytes - 1));
        Assert.Equal(OperatingSystem.IsLinux() ? 2 : 0, trimmer.Trims);
    }

    [Fact]
    public void A_fall_of_the_connections_and_of_load_together_collect_once()
    {
        using var trimmer = new NativeMemoryTrimmer(NullLogger<NativeMemoryTrimmer>.Instance);
        long allocated = 1L << 30;
        Assert.False(trimmer.TrimIfLoadFell(allocated));
        for (int i = 0; i < 200; i++)
        {
            trimmer.ConnectionOpened();
        }

        Assert.False(trimmer.TrimIfLoadFell(allocated += NativeMemoryTrimmer.BusyBytes));
        for (int i = 0; i < 200; i++)
        {
            trimmer.ConnectionClosed();
        }

        // The connections' fall collects first; the quiet interval after it finds nothing left to give back.
        Assert.True(trimmer.TrimIfDropped());
        Assert.False(trimmer.TrimIfLoadFell(allocated += 1));
        Assert.Equal(OperatingSystem.IsLinux() ? 1 : 0, trimmer.Trims);
    }
}
