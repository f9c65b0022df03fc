using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CasbCore.Activity;
using CasbCore.Gateways;
using CasbCore.Model;
using CasbCore.Store;
using CasbGateway.SampleApp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A 1 GiB download and a 1 GiB multipart upload through the gateway program (its own process, as deployed) under
/// session control, with the gateway's resident memory sampled throughout: streamed, not buffered, so it stays flat.
/// Both ends generate and count the bytes; nothing of the size touches the disk.
/// </summary>
public sealed class LargeTransferMemoryTests : IAsyncLifetime
{
    private const long OneGiB = 1024L * 1024 * 1024;
    private const long AllowedGrowthBytes = 200L * 1024 * 1024;

    private readonly ITestOutputHelper _output;
    private readonly string _store = Directory.CreateTempSubdirectory("casb-gw-mem-").FullName;
    private WebApplication? _upstream;
    private Process? _gateway;
    private Uri _gatewayUrl = null!;

    public LargeTransferMemoryTests(ITestOutputHelper output) => _output = output;

    public async Task InitializeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        builder.Logging.ClearProviders();
        _upstream = builder.Build();
        SampleAppHost.Map(_upstream);
        await _upstream.StartAsync();
        string upstream = _upstream.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();

        new CasbStore(_store).Update(c =>
        {
            c.Apps.Add(new AppEntry { Name = "Files", Upstream = upstream, Hostnames = { "127.0.0.1" } });
            c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
            {
                Name = "Everyone via App Control",
                IncludeUsers = ["All"],
                SessionControl = SessionControlKind.AppControl,
                AppControlMode = AppControlMode.UseCustomPolicy,
            });
            // Session policies in force, so both transfers are decided and recorded (Audit), not passed by.
            c.SessionPolicies.Add(new SessionPolicyEntry { Name = "Record files", ControlType = SessionControlType.MonitorOnly, FileExtensions = ["bin"] });
            c.SessionPolicies.Add(new SessionPolicyEntry
            {
                Name = "No executables", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block, FileExtensions = ["exe"],
            });
        });

        int port = RequestPathTests.FreePort();
        var start = new ProcessStartInfo(GatewayProcesses.FindDotnet()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, GatewayProcesses.GatewayAssemblyName), "--store", _store, "--urls", $"https://127.0.0.1:{port}", "--name", "mem" })
        {
            start.ArgumentList.Add(arg);
        }

        _gateway = Process.Start(start)!;
        _gateway.OutputDataReceived += (_, _) => { };
        _gateway.ErrorDataReceived += (_, _) => { };
        _gateway.BeginOutputReadLine();
        _gateway.BeginErrorReadLine();
        _gatewayUrl = new Uri($"https://127.0.0.1:{port}");
        using HttpClient client = Client();
        for (int i = 0; i < 300; i++)
        {
            try
            {
                using HttpResponseMessage health = await client.GetAsync("/healthz");
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("The gateway did not start.");
    }

    public async Task DisposeAsync()
    {
        if (_gateway is { HasExited: false })
        {
            _gateway.Kill();
            await _gateway.WaitForExitAsync();
        }

        _gateway?.Dispose();
        if (_upstream is not null)
        {
            await _upstream.StopAsync();
            await _upstream.DisposeAsync();
        }

        Directory.Delete(_store, recursive: true);
    }

    [Fact]
    public async Task A_1_GiB_download_and_a_1_GiB_upload_stream_through_the_gateway_with_flat_memory()
    {
        Assert.True(OperatingSystem.IsLinux(), "reads the gateway's resident memory from /proc");
        using HttpClient client = Client();
        // Warm up: code paths tiered, pools and TLS state allocated, as they would be in any running gateway.
        Assert.Equal(20L << 20, await DownloadAsync(client, 20L << 20));
        Assert.Equal($"Received {GeneratedUpload.LengthFor(20L << 20)} bytes\n", await UploadAsync(client, 20L << 20));
        await Task.Delay(500);
        long baseline = ResidentBytes();
        long peak = baseline;
        using var stop = new CancellationTokenSource();
        Task sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, ResidentBytes());
                await Task.Delay(50);
            }
        });

        var watch = Stopwatch.StartNew();
        long downloaded = await DownloadAsync(client, OneGiB);
        TimeSpan download = watch.Elapsed;
        watch.Restart();
        string uploaded = await UploadAsync(client, OneGiB);
        TimeSpan upload = watch.Elapsed;
        stop.Cancel();
        await sampler;
        peak = Math.Max(peak, ResidentBytes());

        _output.WriteLine($"gateway RSS baseline {baseline >> 20} MiB, peak {peak >> 20} MiB, growth {(peak - baseline) >> 20} MiB; " +
            $"download 1 GiB in {download.TotalSeconds:F1} s ({1024 / download.TotalSeconds:F0} MiB/s), upload 1 GiB in {upload.TotalSeconds:F1} s ({1024 / upload.TotalSeconds:F0} MiB/s)");
        Assert.Equal(OneGiB, downloaded);
        Assert.Equal($"Received {GeneratedUpload.LengthFor(OneGiB)} bytes\n", uploaded);
        Assert.True(peak - baseline < AllowedGrowthBytes, $"the gateway grew by {(peak - baseline) >> 20} MiB while 2 GiB streamed through");

        // Both were decided under session control and recorded as what they are.
        IReadOnlyList<ActivityRecord> records = await WaitForActivityAsync(4);
        Assert.Contains(records, r => (r.FileDirection, r.FileName, r.FileAction, r.FileSizeBytes) == ("Download", "big.bin", "Audit", OneGiB));
        Assert.Contains(records, r => (r.FileDirection, r.FileName, r.FileAction, r.FileSizeBytes) == ("Upload", "big.bin", "Audit", OneGiB));
    }

    private HttpClient Client()
    {
        var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        return new HttpClient(handler) { BaseAddress = _gatewayUrl, Timeout = TimeSpan.FromMinutes(5) };
    }

    private static async Task<long> DownloadAsync(HttpClient client, long bytes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/download/big.bin?bytes={bytes}") { Headers = { { "User-Agent", Policies.PolicyTestData.Edge } } };
        using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using Stream body = await response.Content.ReadAsStreamAsync();
        byte[] buffer = new byte[128 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static async Task<string> UploadAsync(HttpClient client, long bytes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = new GeneratedUpload(bytes), Headers = { { "User-Agent", Policies.PolicyTestData.Edge } } };
        using HttpResponseMessage response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private long ResidentBytes()
    {
        foreach (string line in File.ReadLines($"/proc/{_gateway!.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("No VmRSS in /proc status.");
    }

    private async Task<IReadOnlyList<ActivityRecord>> WaitForActivityAsync(int count)
    {
        string folder = Path.Combine(_store, "activity");
        for (int i = 0; i < 100; i++)
        {
            var records = ActivityLog.ReadNewestFirst(folder).ToList();
            if (records.Count >= count)
            {
                return records;
            }

            await Task.Delay(100);
        }

        return ActivityLog.ReadNewestFirst(folder).ToList();
    }

    /// <summary>A multipart/form-data body with one file part of generated bytes, written as it is sent.</summary>
    private sealed class GeneratedUpload : HttpContent
    {
        private const string Boundary = "casb-large-upload";
        private static readonly byte[] Head = Encoding.ASCII.GetBytes(
            $"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n");
        private static readonly byte[] Tail = Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n");
        private readonly long _bytes;

        public GeneratedUpload(long bytes)
        {
            _bytes = bytes;
            Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={Boundary}");
        }

        public static long LengthFor(long bytes) => Head.Length + bytes + Tail.Length;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Head);
            byte[] chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'y');
            for (long left = _bytes; left > 0; left -= chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)));
            }

            await stream.WriteAsync(Tail);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = LengthFor(_bytes);
            return true;
        }
    }
}
