using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Yarp.ReverseProxy.Forwarder;

namespace BareForwarder;

/// <summary>
/// Kestrel + YARP's IHttpForwarder with the gateway's TLS settings (client certificate requested, any accepted,
/// HTTP/1.1 and 2, TLS 1.2+) and no engine: what the gateway would cost if enforcement were free.
/// </summary>
public static class BareForwarderApp
{
    public static WebApplication Build(IPEndPoint listen, X509Certificate2 serverCertificate, string upstream)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = Array.Empty<string>(),
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        // Socket transport and data-rate limits at Kestrel's defaults, as in the gateway (GatewayApp, docs/benchmarks.md:
        // fourth pass): change them in both or in neither, or the floor stops measuring what the gateway stands on.
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // As the gateway (GatewayApp): HTTP/2 response headers as literals, no HPACK table inserts.
            kestrel.AllowResponseHeaderCompression = false;
            kestrel.Listen(listen, options =>
            {
                options.Protocols = HttpProtocols.Http1AndHttp2;
                options.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = serverCertificate,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = static (_, _, _) => true,
                    CheckCertificateRevocation = false,
                    // The gateway's handshake chain policy (src/CasbGateway/Hosting/ClientCertificateHandshake.cs).
                    OnAuthenticate = CasbGateway.Hosting.ClientCertificateHandshake.Configure,
                });
            });
        });
        builder.Services.AddHttpForwarder();
        WebApplication app = builder.Build();

        // The same upstream client settings as the gateway's forwarding middleware.
        var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            ActivityHeadersPropagator = null,
        });
        var requestConfig = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(100) };
        IHttpForwarder forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        // The forwarder's error is not read (a bare forwarder has no error page): a Task, as a RequestDelegate returns.
        Task Forward(HttpContext context) => forwarder.SendAsync(context, upstream, client, requestConfig, HttpTransformer.Default).AsTask();
        app.Run(Forward);
        return app;
    }
}
