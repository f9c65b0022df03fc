using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// An upstream app on loopback (port 0) that answers every request with <c>respond</c>: for the responses and the request
/// handling (ranges, compression, decompression) the sample app does not have.
/// </summary>
internal sealed class FileUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FileUpstream(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The upstream's address without a trailing slash, as an app's upstream is configured.</summary>
    public string Url { get; }

    /// <param name="respond">The answer to every request.</param>
    /// <param name="decompressRequests">Decompress request bodies (gzip, br, deflate) before <paramref name="respond"/> reads them.</param>
    /// <param name="responseHeaderEncoding">How response header values are written; Kestrel's default (ASCII only) when null.</param>
    public static async Task<FileUpstream> StartAsync(RequestDelegate respond, bool decompressRequests = false, System.Text.Encoding? responseHeaderEncoding = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (responseHeaderEncoding is not null)
        {
            // An app that writes a header value's bytes as they are (PHP's header(), many CGI servers): with Latin-1, a
            // test writes any bytes by writing one character per byte.
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ResponseHeaderEncodingSelector = _ => responseHeaderEncoding);
        }

        builder.Logging.ClearProviders();
        builder.Services.AddRequestDecompression();
        WebApplication app = builder.Build();
        if (decompressRequests)
        {
            app.UseRequestDecompression();
        }

        app.Run(respond);
        await app.StartAsync();
        string url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new FileUpstream(app, url.TrimEnd('/'));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
