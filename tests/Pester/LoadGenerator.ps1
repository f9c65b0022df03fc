# A load generator for the replica tests (dot-source it in BeforeAll): concurrent HttpClient workers that spread GET
# requests round-robin over several gateway URLs, every other round with the client certificate, and keep what each
# answer was (replica, with or without certificate, when sent and answered, status, block message seen, correlation
# id, or the error), at a steady rate so that a run is the same size on a fast machine and a busy one (CI-sized).
# HttpClient runs on its own threads, where a PowerShell script block cannot, hence C#.

if (-not ('CasbTestLoad' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;

public sealed class CasbTestAnswer
{
    public int Replica { get; init; }
    public bool WithCertificate { get; init; }
    public long Sent { get; init; }
    public long Answered { get; init; }
    /// <summary>The HTTP status, or 0 when the request failed (Error says why).</summary>
    public int Status { get; init; }
    /// <summary>The answer carries the block message looked for.</summary>
    public bool Blocked { get; init; }
    public string CorrelationId { get; init; }
    public string Error { get; init; }
}

public sealed class CasbTestLoad : IDisposable
{
    private readonly string[] _urls;
    private readonly HttpClient _withCertificate;
    private readonly HttpClient _without;
    private readonly string _blockMessage;
    private readonly int _concurrency;
    private readonly int _requestsPerSecond;
    private long _runStarted;
    private long _runFirst;
    private readonly ConcurrentQueue<CasbTestAnswer> _answers = new();
    private CancellationTokenSource _stop;
    private Task[] _workers = Array.Empty<Task>();
    private long _next = -1;

    public CasbTestLoad(string[] urls, X509Certificate2 certificate, string userAgent, string blockMessage, int concurrency, int requestsPerSecond)
    {
        _requestsPerSecond = requestsPerSecond;
        _urls = urls;
        _blockMessage = blockMessage;
        _concurrency = concurrency;
        _withCertificate = Client(userAgent, certificate);
        _without = Client(userAgent, null);
    }

    public static long Now => Stopwatch.GetTimestamp();

    public static double Milliseconds(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    /// <summary>Every answer so far, in the order they came.</summary>
    public CasbTestAnswer[] Answers => _answers.ToArray();

    public void Start()
    {
        _stop = new CancellationTokenSource();
        _runFirst = Interlocked.Read(ref _next) + 1;
        _runStarted = Now;
        _workers = Enumerable.Range(0, _concurrency).Select(_ => Task.Run(() => Work(_stop.Token))).ToArray();
    }

    /// <summary>Stops sending and waits for the requests in flight.</summary>
    public void Stop()
    {
        _stop?.Cancel();
        Task.WaitAll(_workers);
    }

    public void Dispose()
    {
        Stop();
        _withCertificate.Dispose();
        _without.Dispose();
    }

    private async Task Work(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            long n = Interlocked.Increment(ref _next);
            // Request n of the run is due at its place in the schedule; a machine too busy for the rate sends at once.
            double wait = Milliseconds(Now, _runStarted + (n - _runFirst) * Stopwatch.Frequency / _requestsPerSecond);
            if (wait > 1)
            {
                try { await Task.Delay(TimeSpan.FromMilliseconds(wait), stop); } catch (OperationCanceledException) { break; }
            }

            int replica = (int)(n % _urls.Length);
            bool withCertificate = (n / _urls.Length) % 2 == 0;
            long sent = Now;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, _urls[replica] + "/");
                using HttpResponseMessage response = await (withCertificate ? _withCertificate : _without).SendAsync(request);
                string body = await response.Content.ReadAsStringAsync();
                _answers.Enqueue(new CasbTestAnswer
                {
                    Replica = replica, WithCertificate = withCertificate, Sent = sent, Answered = Now, Status = (int)response.StatusCode,
                    Blocked = body.Contains(_blockMessage, StringComparison.Ordinal),
                    CorrelationId = response.Headers.TryGetValues("X-Casb-Correlation-Id", out var ids) ? ids.FirstOrDefault() : null,
                });
            }
            catch (Exception ex)
            {
                _answers.Enqueue(new CasbTestAnswer
                {
                    Replica = replica, WithCertificate = withCertificate, Sent = sent, Answered = Now, Status = 0,
                    Error = ex.GetBaseException().Message,
                });
            }
        }
    }

    private static HttpClient Client(string userAgent, X509Certificate2 certificate)
    {
        var handler = new SocketsHttpHandler
        {
            // A killed replica must fail fast, not hold a worker.
            ConnectTimeout = TimeSpan.FromSeconds(2),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        // The gateways' self-signed server certificate.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { certificate };
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        return client;
    }
}
'@
}
