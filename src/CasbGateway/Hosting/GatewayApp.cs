using CasbCore;
using CasbCore.Store;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using CasbGateway.Activity;
using CasbGateway.Configuration;
using CasbGateway.Enforcement;
using CasbGateway.SignIn;
using CasbGateway.Telemetry;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using CasbCore.Policies;
using OpenTelemetry.Metrics;

namespace CasbGateway.Hosting;

/// <summary>Builds and runs the gateway host: Kestrel with client certificates, health, metrics and the enforcement pipeline.</summary>
internal static class GatewayApp
{
    /// <summary>Runs until SIGTERM/Ctrl+C. A start failure prints "CasbGateway: ..." on stderr and returns 1.</summary>
    public static async Task<int> RunAsync(GatewayOptions options)
    {
        WebApplication app;
        try
        {
            app = Build(options);
        }
        catch (GatewayStartupException ex)
        {
            Console.Error.WriteLine($"CasbGateway: {ex.Message}");
            return 1;
        }
        catch (Exception ex)
        {
            // Every start failure ends as one line and exit 1, never an unhandled crash with a stack trace.
            Console.Error.WriteLine($"CasbGateway: cannot start with the store '{options.StorePath}': {GatewayStartupException.OneLine(ex.Message)}");
            return 1;
        }

        try
        {
            await app.StartAsync();
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(ex is IOException or System.Net.Sockets.SocketException
                ? $"CasbGateway: cannot listen on {string.Join(", ", options.Urls)}: {GatewayStartupException.OneLine(ex.Message)}"
                : $"CasbGateway: cannot start: {GatewayStartupException.OneLine(ex.Message)}");
            await app.DisposeAsync();
            return 1;
        }

        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }

    public static WebApplication Build(GatewayOptions options, Action<IServiceCollection>? configureServices = null)
    {
        var endpoints = options.Urls.Select(ParseUrl).ToList();
        IConfigurationStore store;
        try
        {
            store = ConfigurationStores.Open(options.StorePath);
        }
        catch (CasbException ex)
        {
            throw new GatewayStartupException($"Cannot open the store '{ConfigurationStores.Redact(options.StorePath)}': {ex.Message}", ex);
        }

        X509Certificate2? serverCertificate = endpoints.Any(e => e.Https) ? ServerCertificate.Load(options, store) : null;

        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = Array.Empty<string>(),
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        // Without external scopes (ScopelessLoggerProvider): the formatter writes none, and Kestrel's per-connection
        // scope stayed alive with every open connection.
        ServiceDescriptor console = builder.Services.Single(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider));
        builder.Services.Remove(console);
        builder.Services.AddSingleton<ILoggerProvider>(sp => new ScopelessLoggerProvider(ActivatorUtilities.CreateInstance<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(sp)));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Kestrel reports an HTTP/2 stream or connection it refuses only in this category, at Debug: to the activity
        // log, not to the console.
        builder.Services.AddSingleton<ILoggerProvider>(sp => new Http2RefusalLoggerProvider(sp));
        builder.Logging.AddFilter<Http2RefusalLoggerProvider>(Http2RefusalLoggerProvider.Category, LogLevel.Debug);
        // Kestrel quotes a refused request's line or header in its reason only with its general category at Information.
        builder.Services.AddSingleton<ILoggerProvider, BadRequestDetailLoggerProvider>();
        builder.Logging.AddFilter<BadRequestDetailLoggerProvider>(BadRequestDetailLoggerProvider.Category, LogLevel.Information);
        // Hosting starts a System.Diagnostics.Activity and a logging scope for every request whenever this category is
        // enabled at any level, though it never writes above Information. The activity record reads the client's
        // traceparent itself (ActivityMiddleware); an OpenTelemetry tracer, when one is added, still gets its activities.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

        // The socket transport and the data-rate limits stay at Kestrel's defaults (the bare forwarder, our floor, keeps
        // the same). Measured against them (docs/benchmarks.md, fourth pass): UnsafePreferInlineScheduling, without or with
        // inline socket completions, WaitForDataBeforeAllocatingBuffer off and no MinResponseDataRate gave no lower CPU per
        // request, and the inline event loop cost 15-40% of the requests/s and doubled p99 on this shared machine.
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // HTTP/2 response headers are sent as literals, never added to the connection's HPACK table: the
            // X-Casb-Correlation-Id of every response is unique, so indexing it only evicted the repeated headers and
            // kept the last ~48 ids of every connection alive in the table (docs/benchmarks.md, eighth pass). Request
            // headers are still compressed against the client's table; and RFC 7541 section 7's attacks on
            // compressed response headers have nothing to probe.
            kestrel.AllowResponseHeaderCompression = false;
            // A response header value is written one byte per character (U+0000-U+00FF), as the upstream client reads an
            // app's (ForwardingMiddleware): an app's raw UTF-8 (a Content-Disposition "résumé.pdf" from PHP's header(), a
            // Set-Cookie "José") reaches the browser byte for byte. Kestrel's default, ASCII only, made every such
            // response a 502 "the app cannot be reached" counted against the app (NonAsciiResponseHeaderTests). Control
            // characters are still refused, and a character above U+00FF fails the response as before.
            kestrel.ResponseHeaderEncodingSelector = static _ => ResponseHeaderBytes.Encoding;
            // Kestrel's default (30 MB) would cut uploads to the apps behind the gateway; bodies are streamed, not buffered.
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodySize;
            foreach (var endpoint in endpoints)
            {
                void Configure(ListenOptions listen)
                {
                    if (!endpoint.Https)
                    {
                        listen.Protocols = HttpProtocols.Http1;
                        return;
                    }

                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    // Before UseHttps: at most so many TLS handshakes in flight at once; HandshakeDone in the connection
                    // middleware after UseHttps gives each slot back. A burst of new connections had all its handshakes
                    // in flight together, and they, not the connections held after them, made the peak of RSS
                    // (docs/benchmarks.md, "Sixth pass: memory": malloc at the 1,000-connection peak 68-77 -> 57-61 MB).
                    listen.Use(next =>
                    {
                        HandshakeGate gate = listen.ApplicationServices.GetRequiredService<HandshakeGate>();
                        return connection => gate.OnConnectionAsync(connection, next);
                    });

                    ServerCertificateSource? certificates = null;
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = serverCertificate,
                        // Renewed or replaced while the gateway runs: each handshake takes the current one. The
                        // chain SslStream builds for the callback it does not need is built against nothing (see
                        // ClientCertificateHandshake).
                        OnAuthenticate = (connection, ssl) =>
                        {
                            (certificates ??= listen.ApplicationServices.GetRequiredService<ServerCertificateSource>()).Apply(ssl);
                            ClientCertificateHandshake.Configure(connection, ssl);
                        },
                        SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        // Requested, never required, never validated by TLS: the engine validates against the
                        // store's trusted roots, and a device without a valid certificate gets the block page.
                        ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                        ClientCertificateValidation = static (_, _, _) => true,
                        CheckCertificateRevocation = false,
                    });

                    // Past UseHttps the handshake is done: counted once per connection, not per request. The services
                    // are looked up once, when Kestrel builds the connection pipeline at start, not per connection.
                    listen.Use(next =>
                    {
                        GatewayMetrics metrics = listen.ApplicationServices.GetRequiredService<GatewayMetrics>();
                        NativeMemoryTrimmer trimmer = listen.ApplicationServices.GetRequiredService<NativeMemoryTrimmer>();
                        return connection => OnConnectionAsync(connection, next, metrics, trimmer);
                    });
                }

                if (endpoint.Host is "localhost")
                {
                    kestrel.ListenLocalhost(endpoint.Port, Configure);
                }
                else if (endpoint.Host is "*" or "+")
                {
                    kestrel.ListenAnyIP(endpoint.Port, Configure);
                }
                else
                {
                    kestrel.Listen(IPAddress.Parse(endpoint.Host), endpoint.Port, Configure);
                }
            }
        });

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(store);
        if (serverCertificate is not null)
        {
            builder.Services.AddSingleton(sp => new ServerCertificateSource(serverCertificate, options, store, sp.GetRequiredService<ILogger<ServerCertificateSource>>()));
        }

        builder.Services.AddSingleton<ConfigurationMonitor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConfigurationMonitor>());
        builder.Services.AddSingleton<ActivityRecorder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ActivityRecorder>());
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<BadRequestRecorder>();
        builder.Services.AddSingleton<FailClosed>();
        builder.Services.AddSingleton<NativeMemoryTrimmer>();
        builder.Services.AddSingleton(_ => HandshakeGate.ForProcessors(Environment.ProcessorCount));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NativeMemoryTrimmer>());
        builder.Services.AddSingleton<IAccessDecider, EngineAccessDecider>();
        builder.Services.AddHttpForwarder();
        builder.Services.AddCasbSignIn(store);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => GatewayMetrics.LimitFewSeries(metrics
            .AddMeter(GatewayMetrics.MeterName))
            .AddPrometheusExporter());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        configureServices?.Invoke(builder.Services);

        WebApplication app = builder.Build();
        // WebApplication adds UseAuthentication() by itself when authentication services exist; the gateway must not
        // have it: it would run the OpenID Connect handler on every request of every app (with sign-in or not).
        // Sessions are read only for apps that sign users in (SignInSessionMiddleware), callbacks only under /.casb.
        ((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;

        // A broken store, or an activity log that cannot be written, stops the start here, before anything listens.
        app.Services.GetRequiredService<ConfigurationMonitor>().LoadInitial();
        if (serverCertificate is not null)
        {
            app.Services.GetRequiredService<ConfigurationMonitor>().Checked += app.Services.GetRequiredService<ServerCertificateSource>().Refresh;
        }

        app.Services.GetRequiredService<ActivityRecorder>().CheckWritable();
        // Subscribes to Kestrel's refusals before anything listens: a request Kestrel answers 400 by itself is recorded too.
        app.Services.GetRequiredService<BadRequestRecorder>();
        // The session key ring (ASP.NET Core data protection, XML) is made only for a configuration that signs users in,
        // before its first request: at start, or when a configuration with sign-in is about to be served. A gateway
        // without sign-in never reads it, nor maps System.Private.Xml and its code for it (docs/benchmarks.md, "Fifth
        // pass: memory": 9-11 MB less RSS at start with the changes of that pass; GatewayMemoryTests keeps it so). The
        // ring is resolved only then: the key manager behind it is XML too.
        SessionKeyRing KeyRing() => app.Services.GetRequiredService<SessionKeyRing>();
        ConfigurationMonitor monitor = app.Services.GetRequiredService<ConfigurationMonitor>();
        // The sessions signed out on any gateway of the store, followed on the monitor's beat while sign-in is served.
        EndedSessionSet endedSessions = app.Services.GetRequiredService<EndedSessionSet>();
        endedSessions.Follow(monitor);
        if (monitor.Current?.SignIn is not null)
        {
            KeyRing().EnsureActiveKey();
            // A gateway that never read the list would honour every session signed out before it started.
            if (!endedSessions.Refresh())
            {
                throw new GatewayStartupException($"Cannot load the store '{store.Location}': {endedSessions.Problem}");
            }
        }

        monitor.Swapping += next =>
        {
            if (next.SignIn is null)
            {
                return;
            }

            try
            {
                KeyRing().EnsureActiveKey();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The configuration is still served (refusing it would keep the one before, without sign-in).
                app.Services.GetRequiredService<SignInLog>().LogKeyRingNotReady(ex, ex.Message);
            }

            // A failure is logged; the set read before (if any) stays in use, and the next check reads it again.
            endedSessions.Refresh();
        };

        // One enforcement pipeline with two ways in. A request whose path cannot be one of the gateway's own endpoints
        // (OwnEndpoints.MayBeOwn) goes straight to it: endpoint routing, the sign-in endpoints and the own-endpoint check
        // would only find that out again for every request of every app. Any other request takes the long way, as before.
        IApplicationBuilder enforced = ((IApplicationBuilder)app).New();
        enforced.UseCasbEnforcement();
        RequestDelegate enforce = enforced.Build();
        app.Use(next => context => OwnEndpoints.MayBeOwn(context.Request.Path.Value) ? next(context) : enforce(context));

        app.UseRouting();
        app.UseCasbSignInEndpoints();
        // The gateway's own endpoints skip enforcement; /metrics only for the callers allowed to scrape it, for anyone
        // else it is a path like any other, decided and proxied.
        app.Use(next => context =>
        {
            if (context.GetEndpoint() is null
                || (context.Request.Path.StartsWithSegments(OwnEndpoints.Metrics, StringComparison.OrdinalIgnoreCase)
                    && !HealthEndpoints.IsMetricsCaller(context, options)))
            {
                return enforce(context);
            }

            OwnResponseHeaders.Apply(context);
            return next(context);
        });
        app.MapHealthEndpoints(options);
        app.MapPrometheusScrapingEndpoint(OwnEndpoints.Metrics);
        return app;
    }

    private static async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next, GatewayMetrics metrics, NativeMemoryTrimmer trimmer)
    {
        HandshakeGate.HandshakeDone(connection);
        ITlsConnectionFeature? tls = connection.Features.Get<ITlsConnectionFeature>();
        metrics.RecordTlsHandshake(tls is { ClientCertificate: not null });
        trimmer.ConnectionOpened();
        if (connection.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span.SequenceEqual("h2"u8) == true)
        {
            Http2RefusalLoggerProvider.Enter(connection);
        }

        try
        {
            await next(connection);
        }
        finally
        {
            trimmer.ConnectionClosed();
            // Kestrel reads SslStream.RemoteCertificate to expose it, and a read certificate is never disposed by the
            // SslStream, nor by Kestrel: its OpenSSL X509 (native memory) waited for a finalizer, after a GC, after the
            // connection. Every request of the connection is done here, and the validator's cache keeps a copy of the
            // bytes, not this object.
            tls?.ClientCertificate?.Dispose();
        }
    }

    private static (string Host, int Port, bool Https) ParseUrl(string url)
    {
        // Uri cannot parse "https://*:8443" or "https://+:8443".
        string normalized = url.Replace("://*:", "://wildcard.invalid:").Replace("://+:", "://wildcard.invalid:");
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out Uri? uri) || (uri.Scheme != "https" && uri.Scheme != "http"))
        {
            throw new GatewayStartupException($"'{url}' is not a URL to listen on (for example https://127.0.0.1:8443).");
        }

        string host = uri.Host == "wildcard.invalid" ? "*" : uri.Host.Trim('[', ']');
        if (host is not "localhost" and not "*" && !IPAddress.TryParse(host, out _))
        {
            throw new GatewayStartupException($"'{url}': listen on an IP address, localhost or * (not a host name).");
        }

        return (host, uri.Port, uri.Scheme == "https");
    }
}
