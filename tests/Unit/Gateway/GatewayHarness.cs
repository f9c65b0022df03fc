using System.Net;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;
using CasbGateway.Configuration;
using CasbGateway.Enforcement;
using CasbGateway.Hosting;
using CasbGateway.SampleApp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CasbModule.Tests.Gateway;

/// <summary>A decider the test controls, so the request path can be tested independently of the policy engine.</summary>
internal sealed class ScriptedDecider : IAccessDecider
{
    public Func<EngineState, AccessRequest, AccessDecision>? Decide { get; set; }

    public List<AccessRequest> Requests { get; } = new();

    AccessDecision IAccessDecider.Decide(EngineState state, AccessRequest request)
    {
        lock (Requests)
        {
            Requests.Add(request);
        }

        return (Decide ?? ((s, r) => s.Engine.Decide(r)))(state, request);
    }
}

/// <summary>
/// A real gateway (Kestrel, HTTPS, loopback port 0) in front of the real sample upstream app (loopback port 0),
/// in this process, over a temporary store.
/// </summary>
internal sealed class GatewayHarness : IAsyncDisposable
{
    public const string AppName = "Sample App";

    private WebApplication? _gateway;
    private WebApplication? _upstream;
    private WebApplication[] _replicas = [];

    private GatewayHarness(string storePath)
    {
        StorePath = storePath;
        Store = new CasbStore(storePath);
    }

    public string StorePath { get; }

    public CasbStore Store { get; }

    public ScriptedDecider Decider { get; } = new();

    public Uri GatewayUrl { get; private set; } = null!;

    public Uri UpstreamUrl { get; private set; } = null!;

    /// <summary>The other gateways on the same store (replicas), started at the same time as this one.</summary>
    public IReadOnlyList<Uri> ReplicaUrls { get; private set; } = [];

    public int UpstreamRequests => Volatile.Read(ref _upstreamRequests);

    /// <summary>The headers each request reached the upstream with, by path and query.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, KeyValuePair<string, string>[]> UpstreamHeaders { get; } = new();

    /// <summary>What each POST or PUT brought to the upstream, recorded when the upstream was done with it.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<UpstreamBody> UpstreamBodies { get; } = new();

    private int _upstreamRequests;

    /// <summary>Waits (up to 10 s) until the upstream is done with <paramref name="count"/> request bodies.</summary>
    public async Task<IReadOnlyList<UpstreamBody>> WaitForUpstreamBodiesAsync(int count)
    {
        for (int i = 0; i < 200 && UpstreamBodies.Count < count; i++)
        {
            await Task.Delay(50);
        }

        return UpstreamBodies.ToArray();
    }

    public static async Task<GatewayHarness> StartAsync(
        Action<CasbConfiguration>? configure = null,
        bool forwardClientCertificate = false,
        TimeSpan? upstreamTimeout = null,
        string? upstreamOverride = null,
        Action<CasbStore>? beforeStart = null,
        IPNetwork[]? metricsAllowedFrom = null,
        long? maxRequestBodySize = null,
        Action<IServiceCollection>? configureServices = null,
        int replicas = 0,
        int? activityQueueCapacity = null,
        string? activityDatabase = null,
        Uri? activityOtlp = null,
        IReadOnlyList<KeyValuePair<string, string>>? activityOtlpHeaders = null)
    {
        var harness = new GatewayHarness(Directory.CreateTempSubdirectory("casb-gw-").FullName);
        // A store or gateway that fails to start (a test of a refused configuration) leaves no folder or upstream behind.
        try
        {
            await harness.StartUpstreamAsync();
            harness.Store.Update(c =>
            {
                c.Apps.Add(new AppEntry
                {
                    Name = AppName,
                    Upstream = upstreamOverride ?? harness.UpstreamUrl.ToString().TrimEnd('/'),
                    Hostnames = { "localhost", "127.0.0.1" },
                    ForwardClientCertificate = forwardClientCertificate,
                });

                // Tests look at the record of each request; ActivityVolumeTests set Summary (the product's default) themselves.
                c.Settings.ActivityVolume = ActivityVolume.Full;
                configure?.Invoke(c);
            });

            beforeStart?.Invoke(harness.Store);
            GatewayOptions Options(string name) => new()
            {
                StorePath = harness.StorePath,
                Urls = new[] { "https://127.0.0.1:0" },
                Name = name,
                UpstreamTimeout = upstreamTimeout ?? TimeSpan.FromSeconds(100),
                ConfigurationPollInterval = TimeSpan.FromMilliseconds(500),
                MetricsAllowedFrom = metricsAllowedFrom ?? GatewayOptions.DefaultMetricsAllowedFrom,
                MaxRequestBodySize = maxRequestBodySize,
                ActivityQueueCapacity = activityQueueCapacity ?? CasbCore.Activity.ActivityPump.DefaultCapacity,
                ActivityDatabase = activityDatabase,
                ActivityOtlpEndpoint = activityOtlp is null ? null : CasbCore.Activity.OtlpActivitySink.LogsUri(activityOtlp.ToString()),
                ActivityOtlpHeaders = activityOtlpHeaders ?? [],
            };
            // The gateway and its replicas are built and started at the same time, as replicas of one store are.
            WebApplication[] gateways = await Task.WhenAll(Enumerable.Range(0, 1 + replicas).Select(i => Task.Run(async () =>
            {
                WebApplication gateway = GatewayApp.Build(Options(i == 0 ? "test" : $"test-{i}"), services =>
                {
                    services.RemoveAll<IAccessDecider>();
                    services.AddSingleton<IAccessDecider>(harness.Decider);
                    configureServices?.Invoke(services);
                });
                await gateway.StartAsync();
                return gateway;
            })));
            harness._gateway = gateways[0];
            harness._replicas = gateways[1..];
            harness.GatewayUrl = new Uri(Address(harness._gateway));
            harness.ReplicaUrls = harness._replicas.Select(r => new Uri(Address(r))).ToArray();
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>The (first) gateway's services, for tests that drive one of its parts directly.</summary>
    public IServiceProvider GatewayServices => _gateway!.Services;

    /// <summary>A client that trusts the gateway's self-signed certificate and presents <paramref name="clientCertificate"/>.</summary>
    public HttpClient CreateClient(X509Certificate2? clientCertificate = null, Version? version = null)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { clientCertificate };
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        var client = new HttpClient(handler) { BaseAddress = GatewayUrl };
        if (version is not null)
        {
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return client;
    }

    public AccessDecision Allow(EngineState state, AccessRequest request, AccessAction action = AccessAction.Allow) => new()
    {
        Action = action,
        App = AppName,
        User = "vendor@contoso.com",
        UserSource = "Certificate",
        ClientAppType = ClientAppType.Browser,
        Revision = state.Revision,
        At = request.At,
        CorrelationId = request.CorrelationId,
        Certificate = request.ClientCertificate is { } c
            ? new CasbCore.Certificates.CertificateValidationResult
            {
                IsValid = true, Subject = c.Subject, Issuer = c.Issuer, Thumbprint = c.Thumbprint, ValidatedAt = request.At,
            }
            : CasbCore.Certificates.CertificateValidationResult.None(request.At),
    };

    public async Task<IReadOnlyList<CasbCore.Activity.ActivityRecord>> WaitForActivityAsync(int count)
    {
        for (int i = 0; i < 100; i++)
        {
            var records = CasbCore.Activity.ActivityLog.ReadNewestFirst(Store.ActivityDirectory).ToList();
            if (records.Count >= count)
            {
                return records;
            }

            await Task.Delay(50);
        }

        return CasbCore.Activity.ActivityLog.ReadNewestFirst(Store.ActivityDirectory).ToList();
    }

    /// <summary>Reads /readyz until it contains <paramref name="expected"/> (about 5 s at most), asserts it, and returns it.</summary>
    public async Task<string> WaitForReadyzAsync(string expected)
    {
        using HttpClient client = CreateClient();
        string body = "";
        for (int i = 0; i < 100; i++)
        {
            body = await client.GetStringAsync("/readyz");
            if (body.Contains(expected, StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Contains(expected, body);
        return body;
    }

    /// <summary>Stops the gateway (its activity flushed) and leaves the store for the test to read.</summary>
    public async Task StopGatewayAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.StopAsync();
            await _gateway.DisposeAsync();
            _gateway = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (WebApplication replica in _replicas)
        {
            await replica.StopAsync();
            await replica.DisposeAsync();
        }

        if (_gateway is not null)
        {
            await _gateway.StopAsync();
            await _gateway.DisposeAsync();
        }

        if (_upstream is not null)
        {
            await _upstream.StopAsync();
            await _upstream.DisposeAsync();
        }

        try
        {
            Directory.Delete(StorePath, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartUpstreamAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        builder.Logging.ClearProviders();
        _upstream = builder.Build();
        _upstream.Use(async (context, next) =>
        {
            Interlocked.Increment(ref _upstreamRequests);
            UpstreamHeaders[context.Request.Path + context.Request.QueryString] =
                context.Request.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? ""))).ToArray();
            if (!HttpMethods.IsPost(context.Request.Method) && !HttpMethods.IsPut(context.Request.Method))
            {
                await next(context);
                return;
            }

            var body = new RecordingBody(context.Request.Body);
            context.Request.Body = body;
            try
            {
                await next(context);
            }
            finally
            {
                UpstreamBodies.Enqueue(body.Result(context.Request.Path));
            }
        });
        SampleAppHost.Map(_upstream);
        await _upstream.StartAsync();
        UpstreamUrl = new Uri(Address(_upstream));
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
}
