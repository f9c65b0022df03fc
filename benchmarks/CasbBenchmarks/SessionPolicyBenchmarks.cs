using System.Text;
using BenchmarkDotNet.Attributes;
using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
using CasbGateway.SessionControl;

namespace CasbBenchmarks;

/// <summary>
/// What session control costs: a 64 MiB multipart upload read through the gateway's part-by-part reader against a
/// plain copy of the same bytes (with a plain file policy, and with a size filter that re-decides the file at every
/// MiB), one file decision among 20 session policies, and detecting and deciding one download.
/// </summary>
[MemoryDiagnoser]
public class SessionPolicyBenchmarks
{
    private const string Edge =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";

    private const string Boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

    private readonly byte[] _buffer = new byte[64 * 1024];
    private byte[] _body = null!;
    private CasbEngine _engine = null!;
    private CasbEngine _sizeEngine = null!;
    private AccessDecision _session;
    private AccessDecision _sizeSession;
    private HttpResponseMessage _download = null!;
    private RequestPath _path = null!;

    [GlobalSetup]
    public void Setup()
    {
        _engine = new CasbEngine(Configuration(sizeFilter: false));
        _sizeEngine = new CasbEngine(Configuration(sizeFilter: true));
        var request = new AccessRequest { AppName = "Files", UserAgent = Edge };
        _session = _engine.Decide(request);
        _sizeSession = _sizeEngine.Decide(request);
        if (_session.SessionControls is null || _sizeSession.SessionControls is null)
        {
            throw new InvalidOperationException("The session is not under App Control: the benchmark would measure nothing.");
        }

        var body = new MemoryStream();
        body.Write(Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nquarterly figures\r\n"));
        body.Write(Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"q3.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"));
        byte[] file = new byte[64 * 1024 * 1024];
        new Random(1).NextBytes(file);
        body.Write(file);
        body.Write(Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n"));
        _body = body.ToArray();
        _download = new HttpResponseMessage { Content = new ByteArrayContent([1, 2, 3]) };
        _download.Content.Headers.TryAddWithoutValidation("Content-Disposition", "attachment; filename=\"Q3 report.xlsx\"; filename*=UTF-8''Q3%20report.xlsx");
        _path = RequestPath.Parse("/files/export");
    }

    [Benchmark(Baseline = true)]
    public long Upload64MiB_PlainCopy() => Drain(new MemoryStream(_body, writable: false));

    [Benchmark]
    public long Upload64MiB_PartByPart() =>
        Drain(new MultipartUploadStream(new MemoryStream(_body, writable: false), Boundary, f => _engine.DecideFile(_session, f)));

    [Benchmark]
    public long Upload64MiB_PartByPart_SizeFilter() =>
        Drain(new MultipartUploadStream(new MemoryStream(_body, writable: false), Boundary, f => _sizeEngine.DecideFile(_sizeSession, f)));

    [Benchmark]
    public FileAction DecideFile_20Policies() => _engine.DecideFile(_session, new FileTransfer(FileTransferDirection.Upload, "q3.xlsx", 2_000_000)).Action;

    [Benchmark]
    public FileAction Download_DetectAndDecide()
    {
        DownloadFile download = DownloadDetector.DownloadOf(_download, _path, _session.SessionControls)!;
        return FileDecisions.Strictest(f => _engine.DecideFile(_session, f), FileTransferDirection.Download, download.Names, download.SizeBytes).Action;
    }

    private long Drain(Stream body)
    {
        using Stream stream = body; // the gateway disposes the reader with the request: its windows go back to the pool
        long total = 0;
        int read;
        while ((read = stream.ReadAsync(_buffer).AsTask().GetAwaiter().GetResult()) > 0)
        {
            total += read;
        }

        return total;
    }

    private static CasbConfiguration Configuration(bool sizeFilter)
    {
        var configuration = new CasbConfiguration();
        configuration.Apps.Add(new AppEntry { Name = "Files", Upstream = "http://127.0.0.1:5080", Hostnames = { "files.contoso.local" } });
        configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Everyone via App Control", IncludeUsers = ["All"], SessionControl = SessionControlKind.AppControl, AppControlMode = AppControlMode.UseCustomPolicy,
        });
        string[] extensions = ["exe", "dll", "ps1", "bat", "cmd", "msi", "js", "vbs", "scr", "jar"];
        for (int i = 0; i < 20; i++)
        {
            configuration.SessionPolicies.Add(new SessionPolicyEntry
            {
                Name = $"Policy {i:D2}",
                ControlType = i % 2 == 0 ? SessionControlType.ControlFileUpload : SessionControlType.ControlFileDownload,
                Action = i % 3 == 0 ? SessionPolicyAction.Audit : SessionPolicyAction.Block,
                FileExtensions = [extensions[i % extensions.Length], "zip"],
            });
        }

        if (sizeFilter)
        {
            configuration.SessionPolicies.Add(new SessionPolicyEntry
            {
                Name = "No huge uploads", ControlType = SessionControlType.ControlFileUpload, Action = SessionPolicyAction.Block, MinFileSizeMB = 1000,
            });
        }

        return configuration;
    }
}
