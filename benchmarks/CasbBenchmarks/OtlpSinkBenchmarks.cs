using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using CasbCore.Activity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CasbBenchmarks;

/// <summary>
/// Records per second the OTLP sink delivers to an OTLP/HTTP receiver in this process (Kestrel on loopback that reads
/// each body, decompresses it when it is gzip, checks its size and answers 200 <c>{}</c>, as a collector's intake does
/// before its own pipeline). One operation is one record: each invocation hands the sink one pump batch of 4,096
/// gateway-like records, which it sends as 8 requests of 512. Records/s = 1e9 / the mean in ns.
/// </summary>
[MemoryDiagnoser]
public class OtlpSinkBenchmarks
{
    private const int Batch = 4096;

    private static readonly string[] Apps = ["Mail", "Files", "Wiki", "Payroll", "CRM"];
    private static readonly string[] Paths = ["/", "/inbox", "/api/messages", "/static/app.js", "/static/app.css", "/favicon.ico", "/search"];

    private WebApplication _receiver = null!;
    private OtlpActivitySink _sink = null!;
    private ActivityRecord[] _records = null!;
    private long _requests;
    private long _wireBytes;
    private long _jsonBytes;

    [Params(OtlpCompression.Gzip, OtlpCompression.None)]
    public OtlpCompression Compression { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
        builder.Logging.ClearProviders();
        _receiver = builder.Build();
        _receiver.MapPost("/v1/logs", ReceiveAsync);
        _receiver.StartAsync().GetAwaiter().GetResult();
        string url = _receiver.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        _sink = new OtlpActivitySink(OtlpActivitySink.LogsUri(url), "edge-1", [new("X-Api-Key", "benchmark")], compression: Compression);

        var random = new Random(7);
        DateTimeOffset start = DateTimeOffset.UtcNow;
        _records = Enumerable.Range(0, Batch).Select(i => new ActivityRecord
        {
            Time = start.AddMilliseconds(i),
            CorrelationId = Convert.ToHexStringLower(RandomBytes(random, 16)),
            TraceId = Convert.ToHexStringLower(RandomBytes(random, 16)),
            Gateway = "edge-1",
            App = Apps[i % Apps.Length],
            Host = $"{Apps[i % Apps.Length].ToLowerInvariant()}.contoso.com",
            Path = Paths[random.Next(Paths.Length)] + (random.Next(3) == 0 ? $"/{random.Next(100_000)}" : ""),
            Method = random.Next(10) == 0 ? "POST" : "GET",
            User = $"user{random.Next(2000)}@contoso.com",
            UserSource = "Certificate",
            SourceIp = $"10.1.{random.Next(256)}.{random.Next(256)}",
            UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            ClientAppType = "Browser",
            DeviceTags = ["Managed"],
            CertificateSubject = $"CN=LAPTOP-{random.Next(2000):D4}, O=Contoso",
            CertificateIssuer = "CN=Contoso Device CA, O=Contoso",
            CertificateThumbprint = Convert.ToHexString(RandomBytes(random, 20)),
            CertificateStatus = "Valid",
            MatchedPolicies = ["Require a company device"],
            Action = random.Next(50) == 0 ? "Block" : "Allow",
            HttpStatus = 200,
            UpstreamLatencyMs = Math.Round(random.NextDouble() * 40, 3),
            DecisionLatencyMs = Math.Round(random.NextDouble() * 0.2, 4),
            Revision = 42,
        }).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // What the receiver saw: the bytes on the wire against the JSON they carry (the compression ratio).
        long requests = Math.Max(1, Interlocked.Read(ref _requests));
        Console.WriteLine(
            $"// OTLP {Compression}: {Interlocked.Read(ref _wireBytes) / requests} bytes on the wire per 512-record request, " +
            $"{Interlocked.Read(ref _jsonBytes) / requests} bytes of JSON ({Interlocked.Read(ref _jsonBytes) / (double)Math.Max(1, Interlocked.Read(ref _wireBytes)):F1}x)");
        _sink.Dispose();
        _receiver.StopAsync().GetAwaiter().GetResult();
        _receiver.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void DeliverBatch()
    {
        var batch = new List<ActivityRecord>(_records);
        _sink.WriteBatch(batch);
        if (batch.Count != 0 || _sink.Refused != 0)
        {
            throw new InvalidOperationException("The receiver did not take every record.");
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        byte[] bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        Stream body = context.Request.Headers.ContentEncoding == "gzip"
            ? new GZipStream(context.Request.Body, CompressionMode.Decompress)
            : context.Request.Body;
        byte[] buffer = new byte[64 * 1024];
        long length = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            length += read;
        }

        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _wireBytes, context.Request.ContentLength ?? 0);
        Interlocked.Add(ref _jsonBytes, length);
        if (length == 0)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("{}");
    }
}
