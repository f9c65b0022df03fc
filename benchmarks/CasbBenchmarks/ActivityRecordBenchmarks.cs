using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using CasbCore.Activity;
using CasbCore.Policies;
using CasbModule.Tests.Policies;

namespace CasbBenchmarks;

/// <summary>
/// The activity record of the network benchmark's allowed request (Invoke-GatewayBenchmark.ps1's store: the seed's
/// policies and 100 more, activity volume Full), built from the engine's decision on the request's thread, as the
/// gateway's ActivityMiddleware builds it.
/// </summary>
[MemoryDiagnoser]
public class ActivityRecordBenchmarks
{
    private AccessDecision _decision;

    [GlobalSetup]
    public void Setup() => _decision = NetworkDecision();

    [Benchmark]
    public ActivityRecord Build() => BuildRecord(_decision);

    /// <summary>The engine's decision on the network benchmark's request, against its store with 100 extra policies.</summary>
    internal static AccessDecision NetworkDecision() => CompiledPolicySet.Compile(NetworkBenchmarkConfiguration.Create(100))
        .Decide(NetworkBenchmarkConfiguration.Request, NetworkBenchmarkConfiguration.VendorCertificate);

    internal static ActivityRecord BuildRecord(AccessDecision decision) => ActivityRecord.FromDecision(
        decision, NetworkBenchmarkConfiguration.Request, "GET", 200, 0.012, 0.35, "default", traceId: null, bytes: 262);
}

/// <summary>
/// What the file sink costs per record on the activity pump's thread: each record serialized and written as one line,
/// in batches of <see cref="Batch"/> (the pump's batches at 20,000 requests/s with its 20-ms gather are about 400). Each
/// iteration writes <see cref="InvocationsPerIteration"/> batches into a file of its own, deleted after it, so the
/// folder stays small; the sink and its file are open before the iteration starts, as the pump's are.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(InvocationsPerIteration)]
public class ActivityFileSinkBenchmarks
{
    public const int Batch = 400;
    private const int InvocationsPerIteration = 200;

    private readonly List<ActivityRecord> _batch = new(Batch);
    private readonly ArrayBufferWriter<byte> _line = new(4096);
    private Utf8JsonWriter _json = null!;
    private ActivityRecord _record = null!;
    private string _directory = null!;
    private FileActivitySink? _sink;

    [GlobalSetup]
    public void Setup()
    {
        _record = ActivityRecordBenchmarks.BuildRecord(ActivityRecordBenchmarks.NetworkDecision());
        _directory = Path.Combine(Path.GetTempPath(), "casb-bench-activity-" + Environment.ProcessId);
        _json = new Utf8JsonWriter(_line);
    }

    [IterationSetup]
    public void OpenFile()
    {
        _sink = new FileActivitySink(_directory, "default");
        _batch.Add(_record);
        _sink.WriteBatch(_batch);
    }

    [IterationCleanup]
    public void DeleteFile()
    {
        _sink?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The serializer alone, as the sink runs it for each record (the line's JSON into a reused buffer, no file).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int Serialize()
    {
        int bytes = 0;
        for (int i = 0; i < Batch; i++)
        {
            _line.ResetWrittenCount();
            _json.Reset(_line);
            JsonSerializer.Serialize(_json, _record, ActivityJsonContext.Default.ActivityRecord);
            _json.Flush();
            bytes += _line.WrittenCount;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void Write()
    {
        for (int i = 0; i < Batch; i++)
        {
            _batch.Add(_record);
        }

        _sink!.WriteBatch(_batch);
    }
}
